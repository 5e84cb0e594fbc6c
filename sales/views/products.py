"""The product catalogue: list, detail, create and edit, Excel export and import, categories.

The catalogue is shared: every sales user may browse and export it; changing it (products,
imports, categories) is sales configuration, for managers and admins ("sales_setup").
"""

import tempfile
from io import BytesIO

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from crm_site.access import area_required, can_use_area
from crm_site.htmx import htmx_target
from crm_site.pagination import CappedPaginator
from sales.filters.catalog import ProductFilter
from sales.forms.catalog import CategoryForm, ProductForm, ProductImportForm
from sales.models import Product
from sales.selectors.catalog import (
    XLSX_CONTENT_TYPE,
    category_get,
    category_tree,
    product_figures,
    product_get,
    product_list_queryset,
    products_export_write,
    products_template_write,
)
from sales.services.catalog import category_save, product_create, product_update
from sales.services.catalog_import import IMPORT_MAX_ROWS, ImportRejected, product_import

LIST_PAGE_SIZE = 25
# The export is written within the request: the streaming writer takes about a second per
# 10,000 rows, so a catalogue of this size stays well inside a request's time.
EXPORT_MAX_ROWS = 50_000
# An import with more bad rows than this shows the first ones and how many more there are.
ERRORS_SHOWN = 200


def _product_filter(request) -> ProductFilter:
    return ProductFilter(request.GET or None, queryset=product_list_queryset())


def _filtered(product_filter: ProductFilter):
    return product_filter.qs if product_filter.is_bound else product_filter.queryset


def _add_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


@require_GET
@area_required("sales")
def product_list(request):
    product_filter = _product_filter(request)
    page = CappedPaginator(_filtered(product_filter), LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"filter": product_filter, "page_obj": page, "can_manage": can_use_area(request.user, "sales_setup")}
    partial = htmx_target(request) == "product-results"
    return render(request, "sales/products/_results.html" if partial else "sales/products/list.html", context)


@require_GET
@area_required("sales")
def product_detail(request, pk: int):
    product = product_get(pk=pk)
    context = {
        "product": product,
        "figures": product_figures(product=product),
        "can_manage": can_use_area(request.user, "sales_setup"),
    }
    return render(request, "sales/products/detail.html", context)


@area_required("sales_setup")
def product_create_view(request):
    return _product_form_page(request, None)


@area_required("sales_setup")
def product_edit(request, pk: int):
    return _product_form_page(request, product_get(pk=pk))


def _product_form_page(request, product: Product | None):
    form = ProductForm(request.POST or None, instance=product)
    if request.method == "POST" and form.is_valid():
        try:
            if product is None:
                saved = product_create(**form.service_kwargs())
            else:
                saved = product_update(product=product, **form.service_kwargs())
        except ValidationError as error:
            _add_errors(form, error)
        else:
            message = _("Product %(name)s created.") if product is None else _("Product %(name)s saved.")
            messages.success(request, message % {"name": saved.name})
            return redirect("sales:product_detail", pk=saved.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "sales/products/form.html", {"form": form, "product": product}, status=status)


@require_GET
@area_required("sales")
def product_export(request):
    queryset = _filtered(_product_filter(request))
    if queryset.order_by()[: EXPORT_MAX_ROWS + 1].count() > EXPORT_MAX_ROWS:
        messages.error(
            request,
            _("The export is limited to %(limit)s products: narrow the list with a filter first.")
            % {"limit": EXPORT_MAX_ROWS},
        )
        return redirect("sales:product_list")
    target = tempfile.TemporaryFile()  # noqa: SIM115  (FileResponse closes it once sent)
    products_export_write(queryset=queryset, target=target)
    target.seek(0)
    filename = f"products-{timezone.localdate().isoformat()}.xlsx"
    return FileResponse(target, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)


@area_required("sales_setup")
def product_import_view(request):
    form = ProductImportForm(request.POST or None, request.FILES or None)
    row_errors = []
    if request.method == "POST" and form.is_valid():
        try:
            result = product_import(handle=form.cleaned_data["file"], user=request.user)
        except ImportRejected as rejected:
            row_errors = rejected.row_errors
        except ValidationError as error:
            form.add_error("file", error)
        else:
            messages.success(
                request,
                _(
                    "Import done: %(created)s created, %(updated)s updated, %(unchanged)s unchanged, "
                    "%(categories)s new categories."
                )
                % {
                    "created": result.created,
                    "updated": result.updated,
                    "unchanged": result.unchanged,
                    "categories": result.categories_created,
                },
            )
            return redirect("sales:product_list")
    context = {
        "form": form,
        "row_errors": row_errors[:ERRORS_SHOWN],
        "more_errors": max(len(row_errors) - ERRORS_SHOWN, 0),
        "error_count": len(row_errors),
        "max_rows": IMPORT_MAX_ROWS,
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "sales/products/import.html", context, status=status)


@require_GET
@area_required("sales_setup")
def product_import_template(request):
    target = BytesIO()
    products_template_write(target=target)
    target.seek(0)
    return FileResponse(target, as_attachment=True, filename="products-template.xlsx", content_type=XLSX_CONTENT_TYPE)


@area_required("sales")
def category_list(request):
    can_manage = can_use_area(request.user, "sales_setup")
    form = CategoryForm(request.POST or None) if can_manage else None
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        if form.is_valid():
            try:
                category = category_save(category=form.instance)
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, _("Category %(name)s saved.") % {"name": category.name})
                return redirect("sales:category_list")
    status = 400 if request.method == "POST" else 200
    context = {"categories": category_tree(), "form": form, "can_manage": can_manage}
    return render(request, "sales/products/categories.html", context, status=status)


@area_required("sales_setup")
def category_edit(request, pk: int):
    category = category_get(pk=pk)
    form = CategoryForm(request.POST or None, instance=category)
    if request.method == "POST" and form.is_valid():
        try:
            category_save(category=form.instance)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Category %(name)s saved.") % {"name": category.name})
            return redirect("sales:category_list")
    status = 400 if request.method == "POST" else 200
    return render(request, "sales/products/category_form.html", {"form": form, "category": category}, status=status)


urlpatterns = [
    path("products/", product_list, name="product_list"),
    path("products/new/", product_create_view, name="product_create"),
    path("products/export/", product_export, name="product_export"),
    path("products/import/", product_import_view, name="product_import"),
    path("products/import/template/", product_import_template, name="product_import_template"),
    path("products/categories/", category_list, name="category_list"),
    path("products/categories/<int:pk>/edit/", category_edit, name="category_edit"),
    path("products/<int:pk>/", product_detail, name="product_detail"),
    path("products/<int:pk>/edit/", product_edit, name="product_edit"),
]
