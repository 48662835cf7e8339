from django.urls import path

from tongban.certificates import views

app_name = "certificates"

urlpatterns = [
    path("<str:number>/", views.verify_page, name="verify"),
]
