"""The process studio's engine-level parts: validating a candidate version of a process or a
decision table, replaying recorded cases on it (the dry run), and comparing two versions.

None of it knows cases: what the platform can route (lanes, task kinds, process variables,
the outputs of a decision) comes in as a ``Vocabulary`` from the caller
(``tongban.cases.services.studio``), which also holds who may upload and approve.
"""
