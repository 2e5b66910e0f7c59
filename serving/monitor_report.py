"""The monitor's report: one self-contained HTML page in Chinese and English (`#en` opens English).

The verdict, what the cohort was compared with, every input and the score by PSI (a bar on the
0-0.5 scale with the watch and act lines), missing shares and unseen values, and each county's
cohort, mean score and high-tier share.
"""
from __future__ import annotations

from html import escape

from features.catalogue import FEATURES_BY_NAME
from models.drift import VIEWS
from serving.report import STYLE, SWITCH, both

VERDICT = {"ok": ("正常", "healthy"), "watch": ("需关注", "watch"), "act": ("需处理", "needs action")}
STATUS = {"ok": ("正常", "ok"), "watch": ("关注", "watch"), "act": ("处理", "act"),
          "too_few": ("样本不足", "too few")}
EXTRA_STYLE = (".bar{display:inline-block;height:10px;background:#829ab1;vertical-align:middle}"
               ".bar.watch{background:#f79009}.bar.act{background:#d92d20}"
               "tr.act td.s{color:#b42318;font-weight:bold}tr.watch td.s{color:#b54708}")
SCALE = 0.5   # PSI at the right end of the bars


VIEWS_ZH = {"ages": "按起始年份比较（评估年份减去该值），户龄增长本身不算漂移",
            "since": "只比较近12个月内的记录（更早或没有记录合为一箱），导出月份更长本身不算漂移"}


def _views(views: dict[str, str]) -> str:
    """The inputs compared in a calendar-free view (input: clock), and how."""
    if not views:
        return ""
    items = "".join(f"<li><code>{escape(name)}</code>: {both(VIEWS_ZH[clock], VIEWS[clock])}</li>"
                    for name, clock in sorted(views.items()))
    return (f'<details id="views"><summary>{both("随时间自然变化的输入如何比较", "Inputs that move with the calendar alone")}'
            f"</summary><ul>{items}</ul></details>")


def render_monitor(result: dict) -> str:
    zh, en = VERDICT[result["verdict"]]
    rows = result["drift"]          # in reading order (`models.drift.worst_first`)
    parts = [
        "<!DOCTYPE html>", '<html lang="zh-CN"><head><meta charset="utf-8">',
        f"<title>模型漂移监测 {escape(result['as_of'])} / Drift monitor {escape(result['as_of'])}</title>",
        f"<style>{STYLE}{EXTRA_STYLE}</style><script>{SWITCH}</script></head><body>",
        '<button onclick="switchLanguage()">中文 / English</button>',
        f"<h1>{both('模型输入与评分漂移监测', 'Drift of the model inputs and score')}</h1>",
        f'<p class="muted">{both("评估日期", "As of")} {escape(result["as_of"])} · {both("模型", "Model")} '
        f'{escape(result["model_name"])} v{result["model_version"]} · {both("对照", "Compared with")} '
        f'{escape(result["reference"])}</p>',
        '<div class="cards">',
        f'<div class="card" id="verdict">{both("结论", "Verdict")}<b class="{_level(result["verdict"])}">'
        f'{both(zh, en)}</b></div>',
        f'<div class="card">{both("当前监测户", "Households now")}<b>{result["households"]:,}</b></div>',
        f'<div class="card">{both("参照户次", "Reference rows")}<b>{result["reference_rows"]:,}</b></div>',
        f'<div class="card">{both("需处理 / 需关注", "Act / watch")}<b>{len(result["act"])} / '
        f'{len(result["watch"])}</b></div></div>',
        f'<p class="muted">{both("PSI 按参照 10 分位分箱（缺失单列一箱）；≥0.10 需关注，≥0.25 需处理；每侧少于 500 户不判断。少见事件（不超过 20% 的农户）另按发生比例判断：1.5 倍或三分之二且 p < 0.01 需关注，2 倍或一半且 p < 0.001 需处理（Fisher 精确检验，按村聚集折算户数）。", "PSI on the reference 10-quantile bins (missing as a bin of its own); 0.10 or more: watch, 0.25 or more: act; not judged under 500 households a side. Rare events (at most 20% of households) are also judged by their share: watch at 1.5x or 2/3 with p < 0.01, act at 2x or 1/2 with p < 0.001 (Fisher exact test, households counted as their villages make them worth).")}</p>',
        _views(result.get("views", {})),
        f"<h2>{both('各输入与评分', 'Inputs and score')}</h2>",
        "<table><tr>" + "".join(f"<th>{both(z, e)}</th>" for z, e in (
            ("输入", "Input"), ("说明", "Meaning"), ("PSI", "PSI"), ("", ""), ("状态", "Status"),
            ("缺失（参照 / 当前）", "Missing (reference / now)"),
            ("发生比例（参照 → 当前）", "Event share (reference → now)"), ("新出现的值", "Values not seen before"))) + "</tr>",
        *(_drift_row(row) for row in rows), "</table>",
        f"<h2>{both('各县评分', 'Scores by county')}</h2>",
        "<table><tr>" + "".join(f"<th>{both(z, e)}</th>" for z, e in (
            ("县（区）", "County"), ("监测户", "Households"), ("平均评分", "Mean score"),
            ("高风险档占比", "High-tier share"), ("列入名单占比", "Flagged share"))) + "</tr>",
        *(f'<tr><td>{escape(c["county_code"])}</td><td class="n">{c["households"]:,}</td>'
          f'<td class="n">{c["mean_score"]:.4f}</td><td class="n">{c["high_tier_share"]:.1%}</td>'
          f'<td class="n">{c.get("flagged_share", float("nan")):.1%}</td></tr>'
          for c in result["counties"]), "</table>",
        f"<h2>{both('以往名单的实际结果', 'Past lists against what happened')}</h2>",
        _backtests(result["backtests"]),
        "</body></html>",
    ]
    return "\n".join(parts)


def _level(verdict: str) -> str:
    return {"ok": "low", "watch": "medium", "act": "high"}[verdict]


def _drift_row(row: dict) -> str:
    feature = FEATURES_BY_NAME.get(row["column"])
    meaning = both(feature.description_zh, feature.description) if feature else both("校准后的返贫概率",
                                                                                     "calibrated relapse probability")
    width = min(row["psi"] / SCALE, 1.0) * 160
    zh, en = STATUS[row["status"]]
    new = ", ".join(f"{value:g}" for value in row["new_levels"])
    return (f'<tr class="{row["status"]}"><td>{escape(row["column"])}</td><td>{meaning}</td>'
            f'<td class="n">{row["psi"]:.3f}</td><td><span class="bar {row["status"]}" style="width:{width:.0f}px">'
            f'</span></td><td class="s">{both(zh, en)}</td>'
            f'<td class="n">{row["reference_missing"]:.1%} / {row["current_missing"]:.1%}</td>'
            f'<td class="n">{_event(row)}</td><td>{escape(new)}</td></tr>')


def _event(row: dict) -> str:
    """Event share, reference then now, with the ratio, Fisher's p and the design effect."""
    share = row.get("event_share_reference")
    if share is None or share != share:          # not a rare-event input (None, or NaN from a frame)
        return ""
    ratio = row.get("event_ratio")
    ratio = f"{ratio:.2f}x" if ratio is not None and ratio == ratio else "new"
    return (f'{share:.1%} → {row["event_share_current"]:.1%} ({ratio}, p {row["event_p"]:.2g}, '
            f'{both("设计效应", "design effect")} {row.get("design_effect") or 1:.1f})')


def _backtests(backtests: list[dict]) -> str:
    if not backtests:
        return f'<p class="muted">{both("在线库中没有本数据所含农户的以往名单。", "The online store holds no earlier list of these households.")}</p>'
    head = "<table><tr>" + "".join(f"<th>{both(z, e)}</th>" for z, e in (
        ("名单日期", "List as of"), ("模型版本", "Model version"), ("农户", "Households"), ("列入走访", "Flagged"),
        ("12 个月后返贫", "Relapsed within 12 months"), ("走访名单命中率", "Precision at capacity"),
        ("覆盖率", "Recall at capacity"), ("预测 / 实际（按档）", "Promised / realized (by tier)"))) + "</tr>"
    rows = []
    for entry in backtests:
        if not entry["matured"]:
            rows.append(f'<tr><td>{escape(entry["as_of"])}</td><td class="n">v{entry["model_version"]}</td>'
                        f'<td class="n">{entry["households"]:,}</td><td colspan="5" class="muted">'
                        f'{both("结果尚未最终确定（需 12 个月加 90 天）", "outcome not final yet (12 months and 90 days)")}'
                        "</td></tr>")
            continue
        tiers = "<br>".join(f"{escape(t['tier'])}: {t['promised']:.3f} / {t['realized']:.3f} ({t['households']:,})"
                            for t in entry["tiers"])
        rows.append(f'<tr><td>{escape(entry["as_of"])}</td><td class="n">v{entry["model_version"]}</td>'
                    f'<td class="n">{entry["households"]:,}</td><td class="n">{entry["flagged"]:,}</td>'
                    f'<td class="n">{entry["relapsed"]:,}</td><td class="n">{_share(entry["precision_at_capacity"])}</td>'
                    f'<td class="n">{_share(entry["recall_at_capacity"])}</td><td>{tiers}</td></tr>')
    return head + "".join(rows) + "</table>"


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"
