"""The journal copy as a PDF (reportlab): the patient's record at one organisation, oldest first."""

import io
from xml.sax.saxutils import escape

from django.utils import timezone
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer


def _paragraphs(text: str, style) -> list:
    # reportlab paragraphs take a small markup language: escape the record text, keep its line breaks.
    return [Paragraph(escape(chunk).replace("\n", "<br/>"), style) for chunk in text.split("\n\n") if chunk.strip()]


def record_copy_pdf(*, organisation_name: str, patient_name: str, patient_nin: str, entries: list) -> bytes:
    """entries: (written_at, author, title, text) tuples."""
    styles = getSampleStyleSheet()
    buffer = io.BytesIO()
    generated = timezone.localtime()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=2 * cm,
        rightMargin=2 * cm,
        topMargin=2 * cm,
        bottomMargin=2 * cm,
        title=f"Journalkopi – {patient_name}",
        author=organisation_name,
        subject="Journalkopi",
    )
    story = [
        Paragraph("Journalkopi", styles["Title"]),
        Paragraph(escape(f"Pasient: {patient_name} (fødselsnummer {patient_nin})"), styles["Normal"]),
        Paragraph(escape(f"Fra: {organisation_name}"), styles["Normal"]),
        Paragraph(escape(f"Utskrevet: {generated:%d.%m.%Y %H:%M}"), styles["Normal"]),
        Spacer(1, 0.6 * cm),
    ]
    if not entries:
        story.append(Paragraph("Journalen inneholder ingen notater.", styles["Italic"]))
    for written_at, author, title, text in entries:
        heading = f"{timezone.localtime(written_at):%d.%m.%Y} – {title or 'Notat'}"
        story.append(Paragraph(escape(heading), styles["Heading3"]))
        if author:
            story.append(Paragraph(escape(author), styles["Italic"]))
        story += _paragraphs(text or "", styles["BodyText"])
        story.append(Spacer(1, 0.3 * cm))
    doc.build(story)
    return buffer.getvalue()
