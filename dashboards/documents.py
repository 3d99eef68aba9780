"""Files the dashboards produce: the bulletin (PDF, Excel) and the dashboard export (Excel).

The PDF uses reportlab's built-in CID font ``STSong-Light``, as the catalogue's compendium does
(``catalogue/compendium.py``), so no font file is needed. Text handed to reportlab's Paragraph is
XML-escaped: a bank or firm name with "&" or "<" must not break the document.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any
from xml.sax.saxutils import escape

from dashboards.models import INDICATORS
from dashboards.selectors import DIMENSION_LABELS, DIMENSIONS

FONT = "STSong-Light"


def wan(yuan: int | None) -> str:
    if yuan is None:
        return "—"
    text = f"{yuan / 10_000:,.2f}".rstrip("0").rstrip(".")
    return f"{text}万元"


def fmt(value: Any, suffix: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:g}{suffix}"
    return f"{value}{suffix}"


def assessment_table(assessment: dict[str, Any]) -> list[list[str]]:
    """The ranking as rows of text: rank, bank, raw value and score per indicator, total."""
    header = ["名次", "银行"]
    for key, (label, _) in INDICATORS.items():
        header += [f"{label}", f"{label}得分（权重{assessment['weights'].get(key, 0):g}）"]
    header += ["综合得分", "计算过程"]
    rows = [header]
    for row in assessment["rows"]:
        line = [str(row["rank"]), row["bank"]]
        for key in INDICATORS:
            suffix = "%" if key.endswith("_rate") else ""
            line += [fmt(row["raw"][key], suffix), fmt(row["scores"][key])]
        line += [f"{row['total']:g}", row["formula"]]
        rows.append(line)
    return rows


def bulletin_pdf(assessment: dict[str, Any], summary: dict[str, Any]) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    title_style = ParagraphStyle("title", fontName=FONT, fontSize=16, leading=22, wordWrap="CJK")
    body = ParagraphStyle("body", fontName=FONT, fontSize=9, leading=13, wordWrap="CJK")
    cell = ParagraphStyle("cell", fontName=FONT, fontSize=7, leading=9, wordWrap="CJK")
    buffer = io.BytesIO()
    title = f"{assessment['region_name']}银行融资服务{assessment['month_label']}通报"
    doc = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4),
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=title,
        author="融资服务门户",
    )
    totals = summary["totals"]
    story = [
        Paragraph(escape(title), title_style),
        Spacer(1, 4 * mm),
        Paragraph(
            f"本月辖区企业提交融资需求 {totals['count']} 笔，需求金额 {wan(totals['asked_yuan'])}，"
            f"授信 {wan(totals['approved_yuan'])}（授信率 {fmt(totals['approval_rate'], '%')}），"
            f"放款 {wan(totals['disbursed_yuan'])}（资金到位率 "
            f"{fmt(totals['disbursement_rate'], '%')}）；接单用时中位数 "
            f"{fmt(totals['median_accept_hours'])} 工作小时，首次对接用时中位数 "
            f"{fmt(totals['median_contact_hours'])} 工作小时；当前逾期案件 {totals['overdue']} 笔。",
            body,
        ),
        Spacer(1, 3 * mm),
        Paragraph(
            "考核方法：各指标按银行间最小—最大值折算为 0–100 分（用时、逾期越少越好），"
            "综合得分 = Σ 权重 × 得分 ÷ Σ 有数据指标的权重。",
            body,
        ),
        Spacer(1, 3 * mm),
    ]
    rows = assessment_table(assessment)
    data = [[Paragraph(escape(text), cell) for text in line] for line in rows]
    if len(rows) == 1:
        data.append([Paragraph("本月无银行办理数据。", cell)] + [""] * (len(rows[0]) - 1))
    table = Table(data, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef7")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    story.append(table)
    doc.build(story)
    return buffer.getvalue()


def _sheet(workbook, title: str, rows: list[list[Any]]) -> None:
    from openpyxl.styles import Font

    sheet = workbook.create_sheet(title=title[:31])
    for row in rows:
        sheet.append(row)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for column in sheet.columns:
        width = max(len(str(c.value or "")) for c in column)
        sheet.column_dimensions[column[0].column_letter].width = min(60, max(8, width * 2))


def bulletin_xlsx(assessment: dict[str, Any], summary: dict[str, Any]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    _sheet(workbook, "考核排名", assessment_table(assessment))
    _sheet(
        workbook,
        "权重",
        [["指标", "权重", "方向"]]
        + [
            [label, assessment["weights"].get(key, 0), "越高越好" if better else "越低越好"]
            for key, (label, better) in INDICATORS.items()
        ],
    )
    _dimension_sheets(workbook, summary)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


MEASURE_HEADER = [
    "案件数",
    "办理中",
    "需求金额（元）",
    "授信笔数",
    "授信金额（元）",
    "授信率（%）",
    "放款笔数",
    "放款金额（元）",
    "资金到位率（%）",
    "接单用时中位数（工作小时）",
    "首次对接用时中位数（工作小时）",
    "逾期案件",
]


def measure_cells(row: dict[str, Any]) -> list[Any]:
    return [
        row["count"],
        row["open"],
        row["asked_yuan"],
        row["approved_count"],
        row["approved_yuan"],
        row["approval_rate"],
        row["disbursed_count"],
        row["disbursed_yuan"],
        row["disbursement_rate"],
        row["median_accept_hours"],
        row["median_contact_hours"],
        row["overdue"],
    ]


def _dimension_sheets(
    workbook, data: dict[str, Any], progress: Callable[[int], None] | None = None
) -> None:
    if "totals" in data:
        _sheet(workbook, "合计", [MEASURE_HEADER, measure_cells(data["totals"])])
    for index, dimension in enumerate(DIMENSIONS):
        rows = data.get(f"by_{dimension}")
        if rows is None:
            continue
        _sheet(
            workbook,
            f"按{DIMENSION_LABELS[dimension]}",
            [[DIMENSION_LABELS[dimension], *MEASURE_HEADER]]
            + [[row["label"], *measure_cells(row)] for row in rows],
        )
        if progress:
            progress(50 + 10 * (index + 1))


def dashboard_xlsx(data: dict[str, Any], progress: Callable[[int], None] | None = None) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    filters = data["filters"]
    _sheet(workbook, "筛选条件", [["条件", "值"], *[[k, v] for k, v in filters.items()]])
    if "by_status" in data:
        _sheet(
            workbook,
            "按状态",
            [["状态", "案件数"], *[[r["label"], r["count"]] for r in data["by_status"]]],
        )
    _dimension_sheets(workbook, data, progress)
    if "declines" in data:
        _sheet(
            workbook,
            "退回原因",
            [["原因", "次数"], *[[r["label"], r["count"]] for r in data["declines"]]],
        )
    if "overdue" in data:
        _sheet(
            workbook,
            "逾期案件",
            [["需求编号", "企业", "银行", "网点", "时限", "截止时间", "已逾期（工作小时）"]]
            + [
                [
                    r["need_id"],
                    r["enterprise"],
                    r["bank"],
                    r["branch"],
                    r["kind_label"],
                    r["due_at"],
                    r["working_hours_overdue"],
                ]
                for r in data["overdue"]
            ],
        )
    if data.get("applications") is not None and "applications" in data:
        _sheet(
            workbook,
            "政策申报与兑现",
            [["政策", "申报数", "通过数", "核定金额（元）", "兑现笔数", "兑现金额（元）"]]
            + [
                [
                    r["title"],
                    r["count"],
                    r["granted"],
                    r["approved_yuan"],
                    r["paid"],
                    r["paid_yuan"],
                ]
                for r in data["applications"]
            ],
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
