from django.shortcuts import render


def home(request):
    """The home page; officials get their role's dashboard (see web/home.html)."""
    return render(request, "web/home.html", {})
