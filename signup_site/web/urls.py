from django.urls import path

from . import api, health, openapi, optdown, optout, preferences, privacy, proof, views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("challenge/", proof.challenge, name="altcha-challenge"),
    path("signup/", views.signup_form, name="signup-form"),
    path("signup/sent/", views.signup_sent, name="signup-sent"),
    path("api/signup", api.signup, name="signup-api"),
    path("api/openapi.json", openapi.openapi_json, name="signup-api-openapi"),
    path("confirm/<str:token>/", views.signup_confirm, name="signup-confirm"),
    path("confirm/<str:token>/done/", views.signup_confirmed, name="signup-confirmed"),
    path("preferences/", preferences.request_link, name="prefs-request-link"),
    path("preferences/sent/", preferences.link_sent, name="prefs-link-sent"),
    path("preferences/edit/", preferences.edit, name="prefs-edit"),
    path("preferences/my-data/", privacy.download, name="prefs-download"),
    path("preferences/delete/", privacy.delete, name="prefs-delete"),
    path("preferences/fewer/", optdown.from_preferences, name="prefs-optdown"),
    path("preferences/unsubscribe/", preferences.unsubscribe_all, name="prefs-unsubscribe-all"),
    path("preferences/deleted/<str:signed>/", privacy.deleted, name="prefs-deleted"),
    path("preferences/email/<str:token>/", preferences.confirm_email, name="prefs-email-confirm"),
    path("preferences/email/<str:token>/done/", preferences.email_confirmed, name="prefs-email-confirmed"),
    path("preferences/<str:token>/", preferences.page, name="prefs-page"),
    path("unsubscribe/<str:token>/", optout.page, name="optout-page"),
    path("unsubscribe/<str:token>/reason/", optout.reason, name="optout-reason"),
    path("unsubscribe/<str:token>/undo/", optout.undo, name="optout-undo"),
    path("unsubscribe/<str:token>/fewer/", optdown.from_unsubscribe, name="optout-optdown"),
    path("fewer/<str:token>/", optdown.result, name="optdown-result"),
    path("fewer/<str:token>/undo/", optdown.undo, name="optdown-undo"),
    path("unsubscribe/<str:token>/done/<str:result>/", optout.result, name="optout-result"),
    path("unsubscribe/<str:token>/preferences/", optout.preferences, name="optout-preferences"),
]
