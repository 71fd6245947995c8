"""The console's web application (Sanic): middleware, pages and exports."""
