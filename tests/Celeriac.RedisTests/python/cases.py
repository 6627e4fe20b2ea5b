"""The interop clients' test cases: '@case(name)' runs the function at once and prints 'PASS name' or 'FAIL name: why'
(with the traceback); 'finish()' prints 'N passed, M failed' and exits 1 when any failed. No failure stops the run.
"""
import sys
import traceback

results = []


def case(name):
    def run(fn):
        try:
            fn()
            results.append(True)
            print("PASS " + name, flush=True)
        except Exception as exc:  # noqa: BLE001 - every failure is reported, none stops the run
            results.append(False)
            print("FAIL %s: %r" % (name, exc), flush=True)
            traceback.print_exc()
        return fn
    return run


def finish():
    passed = results.count(True)
    failed = results.count(False)
    print("%d passed, %d failed" % (passed, failed), flush=True)
    sys.exit(1 if failed else 0)
