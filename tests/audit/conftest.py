from tests.needs.conftest import need_data, run_commit, submit, world  # noqa: F401
