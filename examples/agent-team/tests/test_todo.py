"""The example's test: the backend and the frontend the agents write work together, and both follow the API contract."""
import json
import os
import sys
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


class TodoFeatureTest(unittest.TestCase):
    def test_frontend_adds_and_lists_todos_through_the_backend(self):
        from backend.app import handle
        from frontend.client import TodoClient

        client = TodoClient(handle)
        client.add("write the docs")
        client.add("ship it")
        self.assertEqual(["write the docs", "ship it"], [t["title"] for t in client.list()])

    def test_every_route_the_frontend_calls_is_one_the_backend_serves(self):
        with open(os.path.join(ROOT, "backend", "routes.json")) as f:
            served = set(json.load(f)["routes"])
        with open(os.path.join(ROOT, "frontend", "calls.json")) as f:
            called = set(json.load(f)["routes"])
        self.assertTrue(called <= served, f"called but not served: {sorted(called - served)}")


if __name__ == "__main__":
    unittest.main()
