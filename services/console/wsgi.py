"""What gunicorn serves: ``gunicorn -c deploy/gunicorn.conf.py services.console.wsgi:app``."""
from services.console.app import create_app

app = create_app()
