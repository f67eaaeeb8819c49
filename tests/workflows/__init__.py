# A package, so that this folder's conftest.py is imported as `workflows.conftest`, not as `conftest`: tests/lambdas
# imports its own conftest.py by that name, and scripts/test runs both folders in one pytest session.
