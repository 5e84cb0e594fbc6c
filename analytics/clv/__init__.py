"""Predictive customer lifetime value: BG/NBD purchases, Gamma-Gamma spend, discounted value.

A pure numpy/scipy package, with no Django in it, so that it can be tested and reused on its
own: the analytics jobs feed it the CRM's orders, ``manage.py clv_fit`` any purchase log, and the
tests the CDNOW data set whose published figures it must reproduce.

    summary = summarise(customer_ids, order_days, amounts, end=today, unit_days=7)
    bg = fit_bgnbd(summary.frequency, summary.recency, summary.age)
    gg = fit_gamma_gamma(summary.frequency, summary.monetary)
    values = predict(bg.params, gg.params, summary, unit_days=7, annual_discount_rate=0.1, margin=0.3)
"""

from analytics.clv.bgnbd import (
    BgNbdFit,
    BgNbdParams,
    NotEnoughDataError,
    bgnbd_log_likelihood,
    expected_purchases,
    expected_purchases_new,
    fit_bgnbd,
    p_alive,
    p_no_purchase_new,
    p_purchases_new,
)
from analytics.clv.gamma_gamma import (
    GammaGammaFit,
    GammaGammaParams,
    expected_spend,
    fit_gamma_gamma,
    gamma_gamma_log_likelihood,
)
from analytics.clv.purchase_log import PurchaseLog, PurchaseLogError, read_purchase_log
from analytics.clv.summary import PurchaseSummary, summarise
from analytics.clv.value import CustomerValue, predict, predicted_value, units_per_month, units_per_year

__all__ = [
    "BgNbdFit",
    "BgNbdParams",
    "CustomerValue",
    "GammaGammaFit",
    "GammaGammaParams",
    "NotEnoughDataError",
    "PurchaseLog",
    "PurchaseLogError",
    "PurchaseSummary",
    "bgnbd_log_likelihood",
    "expected_purchases",
    "expected_purchases_new",
    "expected_spend",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "gamma_gamma_log_likelihood",
    "p_alive",
    "p_no_purchase_new",
    "p_purchases_new",
    "predict",
    "predicted_value",
    "read_purchase_log",
    "summarise",
    "units_per_month",
    "units_per_year",
]
