"""The printable compendium (产品汇编): a district's loan products as a PDF, grouped by class and
bank, with a table of contents — what 肥城 compiled by hand.

The font is reportlab's built-in CID font STSong-Light, which needs no font file and works offline.
"""

from __future__ import annotations

import io
from itertools import groupby
from xml.sax.saxutils import escape

from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import PageBreak, Paragraph, Spacer, Table, TableStyle
from reportlab.platypus.doctemplate import SimpleDocTemplate
from reportlab.platypus.tableofcontents import TableOfContents

from banks.models import LoanProduct, ProductClass
from banks.selectors import public_products
from catalogue.text import plain_text
from regions.codes import ancestors
from regions.models import Region

FONT = "STSong-Light"
_registered = False


def _font() -> str:
    global _registered
    if not _registered:
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
        _registered = True
    return FONT


def _styles() -> dict[str, ParagraphStyle]:
    font = _font()
    base = ParagraphStyle("base", fontName=font, fontSize=9.5, leading=14, wordWrap="CJK")
    return {
        "title": ParagraphStyle("title", parent=base, fontSize=22, leading=30, alignment=1),
        "subtitle": ParagraphStyle("subtitle", parent=base, fontSize=12, leading=18, alignment=1),
        "h1": ParagraphStyle(
            "h1", parent=base, fontSize=16, leading=22, spaceBefore=6, spaceAfter=8
        ),
        "h2": ParagraphStyle(
            "h2", parent=base, fontSize=13, leading=18, spaceBefore=8, spaceAfter=4
        ),
        "h3": ParagraphStyle(
            "h3", parent=base, fontSize=11, leading=16, spaceBefore=6, spaceAfter=2
        ),
        "body": base,
        "toc1": ParagraphStyle("toc1", parent=base, fontSize=11, leading=16),
        "toc2": ParagraphStyle("toc2", parent=base, fontSize=10, leading=14, leftIndent=12 * mm),
    }


class _CompendiumDoc(SimpleDocTemplate):
    def afterFlowable(self, flowable) -> None:
        # Headings register themselves in the table of contents.
        level = getattr(flowable, "toc_level", None)
        if level is not None:
            self.notify("TOCEntry", (level, flowable.getPlainText(), self.page))


def _heading(text: str, style: ParagraphStyle, level: int) -> Paragraph:
    paragraph = Paragraph(escape(text), style)
    paragraph.toc_level = level
    return paragraph


def _amount(product: LoanProduct) -> str:
    from eligibility.engine import format_wan

    if product.min_amount_yuan is None and product.max_amount_yuan is None:
        return "未载明"
    parts = []
    if product.min_amount_yuan is not None:
        parts.append(f"{format_wan(product.min_amount_yuan)}起")
    if product.max_amount_yuan is not None:
        parts.append(f"最高{format_wan(product.max_amount_yuan)}")
    return "，".join(parts)


def _product_table(product: LoanProduct, styles) -> Table:
    body = styles["body"]
    rows = [
        ("产品简介", plain_text(product.description) or "未载明"),
        ("目标客户", plain_text(product.target_customers) or "未载明"),
        ("投放条件", plain_text(product.conditions_text) or "未载明"),
        ("贷款额度", _amount(product)),
        ("利率", product.rate_text or "未载明"),
        ("期限", f"最长{product.max_term_months}个月" if product.max_term_months else "未载明"),
        ("担保方式", "、".join(product.guarantee_labels()) or "未载明"),
        ("申报材料", "；".join(product.materials) or "未载明"),
        ("办理网点", product.branch.name if product.branch else product.bank.name),
    ]
    data = [[Paragraph(k, body), Paragraph(escape(v), body)] for k, v in rows]
    table = Table(data, colWidths=[24 * mm, 146 * mm])
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("BACKGROUND", (0, 0), (0, -1), colors.whitesmoke),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def compendium_products(region: Region):
    """Published products serving ``region`` or a region above it, by class, bank and name."""
    order = {label: i for i, label in enumerate(ProductClass.values)}
    products = list(
        public_products().filter(regions_served__code__in=ancestors(region.code)).distinct()
    )
    products.sort(key=lambda p: (order.get(p.product_class, 99), p.bank.name, p.name, p.pk))
    return products


def compendium_build(*, region: Region) -> bytes:
    """The compendium PDF of ``region``'s products."""
    styles = _styles()
    products = compendium_products(region)
    buffer = io.BytesIO()
    doc = _CompendiumDoc(
        buffer,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=f"{region.name}金融产品汇编",
        author="融资服务门户",
    )
    toc = TableOfContents()
    toc.levelStyles = [styles["toc1"], styles["toc2"]]
    story = [
        Spacer(1, 60 * mm),
        Paragraph(escape(f"{region.name}金融产品汇编"), styles["title"]),
        Spacer(1, 8 * mm),
        Paragraph(
            escape(f"共 {len(products)} 个产品 · {timezone.localdate():%Y年%m月%d日}编印"),
            styles["subtitle"],
        ),
        PageBreak(),
        Paragraph("目录", styles["h1"]),
        toc,
        PageBreak(),
    ]
    if not products:
        story.append(Paragraph("暂无服务本地区的信贷产品。", styles["body"]))
    for product_class, in_class in groupby(products, key=lambda p: p.product_class):
        story.append(_heading(product_class, styles["h1"], 0))
        for bank_name, in_bank in groupby(in_class, key=lambda p: p.bank.name):
            story.append(_heading(bank_name, styles["h2"], 1))
            for product in in_bank:
                story.append(Paragraph(escape(product.name), styles["h3"]))
                story.append(_product_table(product, styles))
                story.append(Spacer(1, 4 * mm))
    doc.multiBuild(story)
    return buffer.getvalue()
