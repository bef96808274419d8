"""12345 hotline work orders: intake, dispatch, callback and ledger services."""
import warnings

# nameko 2.14 runs on eventlet, which announces its own deprecation on import; the notice
# is known (see README) and tells an operator nothing, so it is not shown.
warnings.filterwarnings("ignore", message=r"(?s).*Eventlet is deprecated")
# dnspython (pulled in by eventlet) touches cryptography's DSA on import, which warns of its
# own deprecation on every command line's start; nothing here signs with DSA.
warnings.filterwarnings("ignore", message=r"(?s).*DSA is deprecated")
