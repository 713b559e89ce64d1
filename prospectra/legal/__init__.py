from . import facts
from .views import bp

# Once the app is built up to its blueprints: its shared state (the providers) exists by then.
bp.record_once(lambda state: facts.init_app(state.app))

__all__ = ["bp"]
