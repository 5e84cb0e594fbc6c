"""Excel exports of the analytics pages, each written with crm_site/xlsx.py from the same
selector as its page, so that the file and the page show the same figures."""
