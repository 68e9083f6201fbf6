"""The echo provider passes igny8's conformance kit."""

import igny8_echo

from igny8.plugin import Usage
from igny8.testing import ProviderConformance


def test_echo_conforms():
    kit = ProviderConformance(igny8_echo)
    kit.check_registration()
    result = kit.call_text("echo-1")
    assert result.text == "Say hello."
    kit.check_usage("echo-1", result.raw, expected=Usage(input_tokens=2, output_tokens=2))
