"""The note as a document: HTML, PDF (weasyprint), DOCX (python-docx), XLSX — every format
rendered from the note's snapshot (``WeeklyNote.content``), never from live data.

An official look: a title block (municipality, period, revision and approval), numbered
sections, tables, charts (matplotlib, Agg, PNG embedded), Russian typography («ёлочки»,
№, non-breaking spaces before units and after short words), DejaVu fonts embedded.
"""

from __future__ import annotations

import base64
import io
import re
from datetime import date

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import NoteStatus
from .notes import note_sections, weekly_note_xlsx

NBSP = "\u00a0"
MONTHS = (
    "января", "февраля", "марта", "апреля", "мая", "июня",
    "июля", "августа", "сентября", "октября", "ноября", "декабря",
)  # fmt: skip
#: sections printed on a landscape page (many columns)
WIDE = {"rating", "heatmap"}
#: the sections that list cases one by one (Саратов 3.6 а: «просроченных сообщений (с
#: указанием местоположения, исполнителей и проблематики вопроса)»)
CASE_LISTS = {"overdue", "repeated"}
#: how many of a case list the page, the PDF and the DOCX show, oldest first; the XLSX
#: has every row. A region's week can hold thousands of overdue cases: forty pages that
#: nobody reads, and a minute of layout.
READING_CASE_ROWS = 100
_SHORT_WORD = re.compile(r"(?<![\w])([вВиИкКсСуУоОаАяЯ]|на|по|от|до|за|из|не|об|со|во|ко|№|г\.) ")
_QUOTES = re.compile(r'"([^"]*)"')
_BEFORE_UNIT = re.compile(r"(\d) (%|ч\b|г\.|руб)")


def typograph(text) -> str:
    """Russian typography for running text: "x" → «x», a non-breaking space after short
    words and №, and between a number and its unit."""
    if not isinstance(text, str):
        return text
    text = _QUOTES.sub("«\\1»", text)
    text = _SHORT_WORD.sub(lambda m: m.group(1) + NBSP, text)
    return _BEFORE_UNIT.sub(lambda m: m.group(1) + NBSP + m.group(2), text)


def long_date(value: date | str) -> str:
    """«2 февраля 2026 г.» with non-breaking spaces."""
    if isinstance(value, str):
        value = date.fromisoformat(value)
    return f"{value.day}{NBSP}{MONTHS[value.month - 1]} {value.year}{NBSP}г."


def period_text(content: dict) -> str:
    return _("с %(a)s по %(b)s") % {
        "a": long_date(content["date_from"]),
        "b": long_date(content["date_to"]),
    }


def cell_text(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, float):
        return f"{value:.1f}".replace(".", ",") if value != int(value) else str(int(value))
    return typograph(str(value))


# -- charts ------------------------------------------------------------------------------


def _figure(width=6.3, height=2.6):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    plt.rcParams.update(
        {"font.family": "DejaVu Sans", "font.size": 8, "axes.spines.top": False,
         "axes.spines.right": False}
    )  # fmt: skip
    return plt, plt.subplots(figsize=(width, height), dpi=150)


def _png(plt, fig) -> bytes:
    out = io.BytesIO()
    fig.tight_layout()
    fig.savefig(out, format="png")
    plt.close(fig)
    return out.getvalue()


def chart_pngs(content: dict) -> dict[str, tuple[str, bytes]]:
    """``section code → (caption, PNG)``: the charts drawn after those sections."""
    charts = content.get("charts", {})
    found: dict[str, tuple[str, bytes]] = {}
    channels = charts.get("channels") or []
    if channels:
        plt, (fig, ax) = _figure(width=5.5, height=2.3)
        labels = [c[0] for c in channels]
        xs = range(len(labels))
        ax.bar([x - 0.2 for x in xs], [c[2] for c in channels], 0.4, label=_("прошлый период"),
               color="#9aa3ae")  # fmt: skip
        ax.bar([x + 0.2 for x in xs], [c[1] for c in channels], 0.4, label=_("отчётный период"),
               color="#1f5fa8")  # fmt: skip
        ax.set_xticks(list(xs), labels, rotation=0)
        ax.set_xlim(-0.9, max(len(labels), 3) - 0.1)  # a lone channel is not a wall
        ax.set_ylabel(_("сообщений"))
        ax.yaxis.get_major_locator().set_params(integer=True)
        ax.legend(frameon=False)
        found["channels"] = (_("Поступление по каналам"), _png(plt, fig))
    top = charts.get("top") or []
    if top:
        plt, (fig, ax) = _figure(width=5.5, height=0.4 * len(top) + 0.8)
        names = [t[0] for t in reversed(top)]
        ax.barh(names, [t[1] for t in reversed(top)], 0.6, color="#c0392b")
        for i, t in enumerate(reversed(top)):
            ax.text(t[1], i, f" {t[1]}", va="center")
        ax.set_xlabel(_("сообщений за период"))
        ax.xaxis.get_major_locator().set_params(integer=True)
        found["top"] = (_("ТОП-5 проблем"), _png(plt, fig))
    on_time = charts.get("on_time") or []
    if on_time:
        plt, (fig, ax) = _figure(width=5.5, height=0.35 * len(on_time) + 0.9)
        names = [r[0] for r in reversed(on_time)]
        ax.barh(names, [100 * r[1] for r in reversed(on_time)], 0.6, color="#2e7d32")
        ax.set_xlim(0, 100)
        ax.set_xlabel(_("ответов в срок, %"))
        found["rating"] = (_("Доля ответов в срок по исполнителям"), _png(plt, fig))
    return found


# -- HTML and PDF --------------------------------------------------------------------------


def _status_line(note) -> str:
    if note.status == NoteStatus.DRAFT:
        return _("Проект, редакция %(n)s") % {"n": note.revision}
    when = timezone.localtime(note.approved_at, note.municipality.zone).strftime("%d.%m.%Y")
    line = _("Редакция %(n)s. Утверждена: %(who)s, %(when)s") % {
        "n": note.revision,
        "who": note.approved_by.full_name if note.approved_by else "—",
        "when": when,
    }
    if note.status == NoteStatus.PUBLISHED:
        line += _("; опубликована")
    return line


def document_context(note, *, charts: bool = True) -> dict:
    content = note.content
    images = chart_pngs(content) if charts else {}
    sections = []
    for number, s in enumerate(note_sections(content, note.causes), 1):
        chart = images.get(s["code"])
        rows = s["rows"][:READING_CASE_ROWS] if s["code"] in CASE_LISTS else s["rows"]
        total = len(s["rows"])
        sections.append(
            {
                "number": number,
                "title": typograph(s["title"]),
                "headers": s["headers"],
                "rows": [[cell_text(v) for v in row] for row in rows],
                "more_text": more_text(len(rows), total) if len(rows) < total else "",
                "wide": s["code"] in WIDE and len(s["headers"]) > 10,
                "code": s["code"],
                "chart": (
                    (chart[0], "data:image/png;base64," + base64.b64encode(chart[1]).decode())
                    if chart
                    else None
                ),
            }
        )
    return {
        "note": note,
        "c": content,
        "title": typograph(content["title"]),
        "period_text": period_text(content),
        "status_line": _status_line(note),
        "sections": sections,
    }


def more_text(shown: int, total: int) -> str:
    """What a shortened case list says under its table."""
    return _("Показаны первые %(shown)s из %(total)s; полный перечень — в версии XLSX.") % {
        "shown": shown,
        "total": f"{total:,}".replace(",", NBSP),  # 3 900: thousands apart, as in Russian
    }


def note_html(note) -> str:
    return render_to_string("analytics/note_document.html", document_context(note))


def note_pdf(note) -> bytes:
    from weasyprint import HTML

    return HTML(string=note_html(note)).write_pdf()


# -- DOCX -------------------------------------------------------------------------------


def note_docx(note) -> bytes:
    from docx import Document
    from docx.enum.section import WD_ORIENT, WD_SECTION
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    ctx = document_context(note)
    images = chart_pngs(note.content)
    doc = Document()
    styles = doc.styles
    for name in ("Normal", "Title", "Heading 1", "Heading 2", "Caption"):
        style = styles[name]
        style.font.name = "DejaVu Sans"
        rpr = style.element.get_or_add_rPr()
        rfonts = rpr.find("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}rFonts")
        if rfonts is not None:
            for attr in ("ascii", "hAnsi", "cs", "eastAsia"):
                rfonts.set(f"{{http://schemas.openxmlformats.org/wordprocessingml/2006/main}}{attr}",
                           "DejaVu Sans")  # fmt: skip
    styles["Normal"].font.size = Pt(10)
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(2))
    section.left_margin = Cm(2.5)

    p = doc.add_paragraph(ctx["c"]["municipality"])
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.runs[0].font.size = Pt(11)
    heading = doc.add_heading(ctx["title"], level=0)
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p = doc.add_paragraph(_("за период %(p)s") % {"p": ctx["period_text"]})
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p = doc.add_paragraph(ctx["status_line"])
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.runs[0].italic = True
    doc.add_paragraph(
        typograph(
            _("Основание: %(basis)s. Даты и время — местные (%(tz)s). Сформировано %(at)s.")
            % {"basis": ctx["c"]["basis"], "tz": ctx["c"]["timezone"], "at": ctx["c"]["built_at"]}
        )
    )

    def orient(landscape: bool):
        sec = doc.add_section(WD_SECTION.NEW_PAGE)
        sec.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
        long_side, short_side = Cm(29.7), Cm(21)
        sec.page_width, sec.page_height = (
            (long_side, short_side) if landscape else (short_side, long_side)
        )

    landscape = False
    for s in ctx["sections"]:
        if s["wide"] != landscape:
            landscape = s["wide"]
            orient(landscape)
        doc.add_heading(f"{s['number']}. {s['title']}", level=1)
        if not s["rows"]:
            doc.add_paragraph(_("Нет данных за период."))
        else:
            table = doc.add_table(rows=1, cols=len(s["headers"]))
            table.style = "Table Grid"
            table.alignment = WD_TABLE_ALIGNMENT.CENTER
            size = Pt(6.5 if s["wide"] else 8.5)
            for cell, text in zip(table.rows[0].cells, s["headers"], strict=True):
                cell.text = ""
                run = cell.paragraphs[0].add_run(str(text))
                run.bold, run.font.size = True, size
            for row in s["rows"]:
                cells = table.add_row().cells
                for cell, text in zip(cells, row, strict=True):
                    cell.text = ""
                    cell.paragraphs[0].add_run(text).font.size = size
            if s["more_text"]:
                doc.add_paragraph(s["more_text"])
        if s["code"] in images:
            caption, png = images[s["code"]]
            doc.add_picture(io.BytesIO(png), width=Cm(15))
            doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
            cap = doc.add_paragraph(typograph(caption), style="Caption")
            cap.alignment = WD_ALIGN_PARAGRAPH.CENTER
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def note_xlsx(note) -> bytes:
    return weekly_note_xlsx(note.content, note.causes)


DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
FORMATS = {
    "html": ("text/html; charset=utf-8", lambda n: note_html(n).encode("utf-8")),
    "pdf": ("application/pdf", note_pdf),
    "docx": (DOCX_TYPE, note_docx),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", note_xlsx),
}


def note_render(note, fmt: str) -> tuple[str, bytes]:
    """``(content type, bytes)`` of the note in ``fmt`` (html, pdf, docx, xlsx)."""
    content_type, render = FORMATS[fmt]
    return content_type, render(note)


def note_filename(note, fmt: str) -> str:
    return f"note_{note.municipality.slug}_{note.period}_r{note.revision}.{fmt}"
