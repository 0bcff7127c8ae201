"""Keep OpenVINO and NNCF from reporting usage, for this Python process only.

Importing ``openvino`` (and running ``nncf``) sends usage events to Google Analytics from a forked
process and, unless the user has opted out, writes a client id under ``~/intel``. A course that
runs offline on hubs of hundreds of learners should do neither on their behalf, and must not
change their files. The package's own opt-out (``opt_in_out --opt_out``) writes a file to the
home folder; this switch instead answers the package's consent check with "declined" inside the
running kernel, which stops both the sending and the file, and changes nothing on disk.
"""

from __future__ import annotations


def openvino_telemetry_off() -> bool:
    """Turn OpenVINO's and NNCF's usage telemetry off in this process; call it before importing them.

    Returns False when the telemetry package is not installed (then there is nothing to turn off).
    """
    try:
        from openvino_telemetry.utils.opt_in_checker import ConsentCheckResult, OptInChecker
    except ImportError:
        return False

    def declined(self, enable_opt_in_dialog=False, disable_in_ci=False) -> ConsentCheckResult:
        return ConsentCheckResult.DECLINED

    OptInChecker.check = declined
    return True
