"""The hitch handover package (issue 15): what the oncoming crew reads without the app.

A hitch runs from one hitch record (its sounding form is the baseline) to the next one (its
soundings close the hitch); the latest hitch is still open and runs to today. Its package is a PDF
(the hitch's sounding forms, then the Oil Record Book pages that hold its entries, whole pages as
the book numbers them) and an .xlsx workbook (tickets, weekly soundings, bunker deliveries, ORB
entries, and the fuel reconciliation). ``manage.py handover HITCH --output DIR`` and the hitch's
page in the admin make it.

period.py       which rows belong to a hitch
reconciliation.py baseline − consumption + bunkers against the closing soundings
workbook.py     the .xlsx (openpyxl)
forms_pdf.py    the sounding forms as PDF (fpdf2), joined with the book's pages (pypdf)
package.py      both files, written whole or not at all
"""
