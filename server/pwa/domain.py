"""The installable shell's routes: manifest, service worker, offline page, health check."""

from server.pwa.controllers import healthz, manifest, offline_page, service_worker
from server.web.domains import Domain

DOMAIN = Domain(pages=[manifest, service_worker, offline_page, healthz])
