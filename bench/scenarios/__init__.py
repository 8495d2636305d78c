"""Migration sets for the benchmark (ORB_SCENARIO_MODULE=scenarios.<name>, bench/ on PYTHONPATH).

Every set starts with the same 0001 (a ticket table shaped like fueltickets_dailyfuelticket,
so it can be filled to hundreds of megabytes); the others add one 0002 of the kind measured.
"""
