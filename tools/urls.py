app_name = "tools"
urlpatterns = []
