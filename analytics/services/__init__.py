"""The analytics app's writes: the nightly computation (``compute``) and its runs (``runs``)."""
