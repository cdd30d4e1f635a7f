"""Sub-commands of `escalate`, one module each."""
