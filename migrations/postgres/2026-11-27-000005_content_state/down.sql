DROP TABLE content_state;
