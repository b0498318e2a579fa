DROP TABLE shared_limits;
