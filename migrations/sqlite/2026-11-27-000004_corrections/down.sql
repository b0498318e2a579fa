DROP TABLE correction_reports;
