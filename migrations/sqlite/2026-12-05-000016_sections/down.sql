-- Articles keep their sections' names as free text.
DROP TABLE sections;
