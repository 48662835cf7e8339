"""``tongban simulate``: a realistic district year generated through the real services.

Modules: ``mix`` (the proportions), ``population`` (simulated residents and enterprises),
``forms`` (filled-in forms from a matter's schema), ``timing`` (office hours on working
days), ``clock`` (the simulated moment), ``gateway`` (fees through the sandbox provider),
``progress`` (the progress bar) and ``run`` (the plans, the event loop and the result).
"""
