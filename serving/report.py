"""The run's report: one self-contained HTML page (no network, no external script, style or font).

County overview, a chart of bands, the reasons of the flagged households by township, and each
township's flagged list with reasons and measures. Chinese by default, English one click away:
every text is written in both languages and a button switches which one the page shows
(`report.html#en` opens it in English).
"""
from __future__ import annotations

from html import escape

import pandas as pd

from features.catalogue import FAMILY_LABELS
from serving.outputs import TIER_ZH

STYLE = """
body{font-family:"Noto Sans CJK SC","Noto Sans SC","Microsoft YaHei",sans-serif;margin:24px;color:#1f2933;
background:#fafbfc}
h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:28px 0 8px;border-bottom:2px solid #d9e2ec}
h3{font-size:16px;margin:18px 0 6px}.muted{color:#627d98;font-size:13px}
.cards{display:flex;gap:12px;flex-wrap:wrap;margin:14px 0}.card{background:#fff;border:1px solid #d9e2ec;
border-radius:6px;padding:10px 14px;min-width:150px}.card b{display:block;font-size:22px}
table{border-collapse:collapse;background:#fff;font-size:13px;margin:6px 0 12px}
th,td{border:1px solid #d9e2ec;padding:4px 8px;text-align:left;vertical-align:top}th{background:#f0f4f8}
td.n{text-align:right}.high{color:#b42318;font-weight:bold}.medium{color:#b54708}.low{color:#027a48}
.heat{text-align:center}.lang-en .zh{display:none}body:not(.lang-en) .en{display:none}
button{position:fixed;top:14px;right:18px;padding:6px 12px;font-size:14px}
ul{margin:0;padding-left:18px}
"""
SWITCH = ("function switchLanguage(){document.body.classList.toggle('lang-en');"
          "document.documentElement.lang=document.body.classList.contains('lang-en')?'en':'zh-CN';}"
          "document.addEventListener('DOMContentLoaded',function(){if(location.hash==='#en'){switchLanguage();}});")


def both(zh: str, en: str) -> str:
    return f'<span class="zh">{escape(zh)}</span><span class="en">{escape(en)}</span>'


def render_report(summary: dict, scores: pd.DataFrame) -> str:
    recon = summary["reconciliation"]
    places = ", ".join(sorted(summary["counties"]))
    parts = [
        "<!DOCTYPE html>", '<html lang="zh-CN"><head><meta charset="utf-8">',
        f"<title>返贫风险监测 {escape(summary['as_of'])} / Relapse risk {escape(summary['as_of'])}</title>",
        f"<style>{STYLE}</style><script>{SWITCH}</script></head><body>",
        '<button onclick="switchLanguage()">中文 / English</button>',
        f"<h1>{both('防止返贫监测：风险评估结果', 'Preventing relapse into poverty: risk scores')}</h1>",
        f'<p class="muted">{both("评估日期", "As of")} {escape(summary["as_of"])} · '
        f'{both("县（区）", "Counties")} {escape(places)} · {both("模型", "Model")} '
        f'{escape(summary["model"])} v{summary["model_version"]} · {both("数据快照", "Input snapshot")} '
        f'{escape(summary["input_snapshot"])}</p>',
        _cards(summary, recon),
        f"<h2>{both('县级概览', 'County overview')}</h2>", _county_table(summary),
        f"<h2>{both('风险档分布（1-20 档，20 为最高）', 'Households by band (1-20, 20 the highest risk)')}</h2>",
        _band_chart(summary["scores"]["bands"]),
        f"<h2>{both('各乡镇列入走访户的主要原因', 'Reasons of the flagged households by township')}</h2>",
        _reason_heat(scores),
        f"<h2>{both('各乡镇走访名单', 'Flagged households by township')}</h2>",
        f'<p class="muted">{both("每个乡镇按风险排序，列入本轮走访的户数为乡镇走访能力", "Each township ranked by score; the flagged households are as many as its staff can visit")}'
        f' ({summary["capacity_per_township"]})</p>',
        _township_lists(scores),
        f'<p class="muted">{both("不含身份证号、姓名和电话。", "No national ID number, name or phone number is shown.")}</p>',
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def _cards(summary: dict, recon: dict) -> str:
    tiers = summary["scores"]["tiers"]
    cards = [("评估户数", "Households scored", f"{recon['scored']:,}"),
             ("列入走访", "Flagged for a visit", f"{recon['flagged']:,}"),
             ("高风险等级", "High tier", f"{tiers['high']:,}"),
             ("导出户数", "Households in the export", f"{recon['households_in_export']:,}"),
             ("隔离的记录行", "Rows quarantined", f"{recon['rows_quarantined']:,}")]
    return '<div class="cards">' + "".join(f'<div class="card"><b>{value}</b>{both(zh, en)}</div>'
                                           for zh, en, value in cards) + "</div>"


def _county_table(summary: dict) -> str:
    head = (f"<tr><th>{both('县（区）代码', 'County')}</th><th>{both('户数', 'Households')}</th>"
            f"<th>{both('乡镇数', 'Townships')}</th><th>{both('列入走访', 'Flagged')}</th>"
            f"<th>{both('高风险', 'High tier')}</th><th>{both('与上期相比', 'Against the previous run')}</th></tr>")
    rows = []
    for county, figures in summary["counties"].items():
        churn = summary["churn"].get(county)
        if churn is None:
            change = both("无上期结果", "no earlier run")
        else:
            change = both(f"{churn['previous_as_of']}：新增 {churn['entered']}，移出 {churn['left']}，"
                          f"重合度 {churn['jaccard']}",
                          f"{churn['previous_as_of']}: {churn['entered']} entered, {churn['left']} left, "
                          f"Jaccard {churn['jaccard']}")
        rows.append(f"<tr><td>{escape(county)}</td><td class=n>{figures['households']:,}</td>"
                    f"<td class=n>{figures['townships']}</td><td class=n>{figures['flagged']}</td>"
                    f"<td class=n>{figures['high_tier']:,}</td><td>{change}</td></tr>")
    return f"<table>{head}{''.join(rows)}</table>"


def _band_chart(bands: dict[str, int]) -> str:
    width, height, left, bottom = 760, 230, 56, 30
    counts = [int(bands.get(str(b), 0)) for b in range(1, 21)]
    top = max(counts) or 1
    step = (width - left - 10) / 20
    bars = []
    for i, count in enumerate(counts):
        h = (height - bottom - 10) * count / top
        x, y = left + i * step, height - bottom - h
        colour = "#b42318" if i >= 16 else "#f79009" if i >= 10 else "#32d583"
        bars.append(f'<rect x="{x + 2:.1f}" y="{y:.1f}" width="{step - 4:.1f}" height="{h:.1f}" fill="{colour}">'
                    f"<title>{i + 1}: {count:,}</title></rect>"
                    f'<text x="{x + step / 2:.1f}" y="{height - bottom + 16}" font-size="11" '
                    f'text-anchor="middle">{i + 1}</text>')
    axis = (f'<line x1="{left}" y1="{height - bottom}" x2="{width - 10}" y2="{height - bottom}" stroke="#9fb3c8"/>'
            f'<text x="{left - 6}" y="16" font-size="11" text-anchor="end">{top:,}</text>'
            f'<text x="{left - 6}" y="{height - bottom}" font-size="11" text-anchor="end">0</text>')
    return (f'<svg width="{width}" height="{height}" role="img" '
            f'aria-label="bands">{axis}{"".join(bars)}</svg>')


def _reason_heat(scores: pd.DataFrame) -> str:
    flagged = scores[scores["flagged"]]
    pairs = pd.DataFrame([(t, f) for t, families in zip(flagged["township_code"], flagged["reason_families"])
                          for f in families], columns=["township_code", "family"])
    if pairs.empty:
        return f"<p>{both('列入走访的户没有达到阈值的原因。', 'No flagged household has a reason above the threshold.')}</p>"
    table = pd.crosstab(pairs["township_code"], pairs["family"])
    families = [f for f in FAMILY_LABELS if f in table.columns]
    top = max(int(table.to_numpy().max()), 1)
    head = "<tr><th>" + both("乡镇", "Township") + "</th>" + "".join(
        f"<th>{both(FAMILY_LABELS[f][1], FAMILY_LABELS[f][0])}</th>" for f in families) + "</tr>"
    rows = []
    for township, counts in table.iterrows():
        cells = "".join(f'<td class="heat" style="background:rgba(180,35,24,{0.08 + 0.6 * counts[f] / top:.2f})">'
                        f"{int(counts[f]) or ''}</td>" for f in families)
        rows.append(f"<tr><td>{escape(str(township))}</td>{cells}</tr>")
    return f"<table>{head}{''.join(rows)}</table>"


def _township_lists(scores: pd.DataFrame) -> str:
    out = []
    head = (f"<tr><th>{both('排名', 'Rank')}</th><th>{both('户编号', 'Household')}</th><th>{both('村', 'Village')}</th>"
            f"<th>{both('风险分', 'Score')}</th><th>{both('档', 'Band')}</th><th>{both('等级', 'Tier')}</th>"
            f"<th>{both('主要原因', 'Reasons')}</th><th>{both('建议措施', 'Suggested measures')}</th></tr>")
    for (county, township), rows in scores[scores["flagged"]].groupby(["county_code", "township_code"], sort=True):
        body = []
        for row in rows.sort_values("rank_in_township").itertuples(index=False):
            reasons = "".join(f"<li>{both(zh, en)}</li>" for zh, en in zip(row.reasons_zh, row.reasons_en)) or \
                f"<li>{both('无达到阈值的原因', 'no reason above the threshold')}</li>"
            received = set(row.measures_received)
            measures = "".join(
                f"<li>{both(zh + ('（已享受）' if code in received else ''), en + (' (already received)' if code in received else ''))}</li>"
                for code, zh, en in zip(row.measure_codes, row.measures_zh, row.measures_en))
            body.append(f"<tr><td class=n>{row.rank_in_township}</td><td>{escape(row.household_id)}</td>"
                        f"<td>{escape(row.village_code)}</td><td class=n>{row.score:.3f}</td>"
                        f"<td class=n>{row.band}</td><td class=\"{escape(row.tier)}\">"
                        f"{both(TIER_ZH.get(row.tier, row.tier), row.tier)}</td>"
                        f"<td><ul>{reasons}</ul></td><td><ul>{measures}</ul></td></tr>")
        out.append(f"<h3>{both('乡镇', 'Township')} {escape(township)} <span class=muted>({escape(county)})</span></h3>"
                   f"<table>{head}{''.join(body)}</table>")
    return "".join(out)
