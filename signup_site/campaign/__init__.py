"""The Campaign service module: the only code that talks to Adobe Campaign.

Views call the verb-named functions in `signup_site.campaign.services`; the
backend chosen by `CAMPAIGN_BACKEND` (`local`, `acs`, `v8` or a dotted path)
does the Campaign work, always from the task worker, never inside a web request.
"""
