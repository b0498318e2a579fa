DROP TABLE article_images;
DROP TABLE captions;
DROP TABLE images;
