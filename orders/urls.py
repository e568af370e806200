"""Order pages."""

urlpatterns: list = []
