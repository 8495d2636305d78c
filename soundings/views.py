"""The book on screen: one page at a time in the MARPOL Part I form, and its downloads (PDF,
CSV, HTML) for a date range and a code. Signed entries only; pages from soundings.pages."""

from django import forms
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.template.response import TemplateResponse

from soundings.export import FORMATS, Selection, SelectionError, export
from soundings.export.selection import known_codes, parse_code, parse_date
from soundings.pages import read_book


class ExportForm(forms.Form):
    """What to download: the same choices as ``manage.py export_orb``."""

    format = forms.ChoiceField(choices=[(f, f.upper()) for f in FORMATS], initial="pdf")
    start = forms.CharField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}), help_text="ship's date"
    )
    end = forms.CharField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    code = forms.ChoiceField(label="Code", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].choices = [("", "all codes")] + [(c, c) for c in known_codes()]

    def _date(self, name):
        try:
            return parse_date(self.cleaned_data.get(name), what="start" if name == "start" else "end")
        except SelectionError as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean_start(self):
        return self._date("start")

    def clean_end(self):
        return self._date("end")

    def clean_code(self):
        try:
            return parse_code(self.cleaned_data.get("code"))
        except SelectionError as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            self.add_error("end", "The end date is before the start date; give an end on or after the start.")
        return data

    def selection(self):
        data = self.cleaned_data
        return Selection(data.get("start"), data.get("end"), data.get("code"))


def _sludge_warnings_html():
    """The engine room's sludge consistency warnings (soundings.consistency), rendered; "" when
    that module or its template is not there (the book never fails for want of them)."""
    from django.template import TemplateDoesNotExist

    try:
        from soundings.consistency import sludge_warnings
    except ImportError:
        return ""
    try:
        return render_to_string("soundings/sludge_warnings.html", {"warnings": sludge_warnings()})
    except TemplateDoesNotExist:
        return ""


def _page_number(request, count):
    try:
        return min(max(int(request.GET.get("page", "")), 1), count)
    except ValueError:
        return count  # the page being written


def _book_response(request, *, form, status=200):
    book = read_book(verify=True)
    number = _page_number(request, len(book.pages))
    context = {
        "book": book,
        "page": book.page(number),
        "num_pages": len(book.pages),
        "previous": number - 1 if number > 1 else None,
        "next": number + 1 if number < len(book.pages) else None,
        "page_numbers": range(1, len(book.pages) + 1),
        "export_form": form,
        "sludge_warnings": _sludge_warnings_html(),
    }
    return TemplateResponse(request, "orb/orb_book.html", context, status=status)


@login_required
@permission_required("soundings.view_orbentry", raise_exception=True)
def orb_book(request):
    """The Oil Record Book, Part I: one page (``?page=N``; the page being written by default)."""
    return _book_response(request, form=ExportForm())


@login_required
@permission_required("soundings.view_orbentry", raise_exception=True)
def orb_book_export(request):
    """A download of whole book pages (PDF, HTML) or entry rows (CSV) for a range and a code."""
    form = ExportForm(request.GET)
    if not form.is_valid():
        return _book_response(request, form=form, status=400)
    selection, fmt = form.selection(), form.cleaned_data["format"]
    try:
        data, content_type = export(fmt, selection)
    except SelectionError as exc:
        form.add_error(None, str(exc))
        return _book_response(request, form=form, status=400)
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{selection.file_stem()}.{fmt}"'
    return response
