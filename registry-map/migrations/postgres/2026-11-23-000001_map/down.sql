DROP TABLE flows;
DROP TABLE descriptors;
DROP TABLE registers;
DROP TABLE members;
DROP TABLE jurisdictions;
DROP TABLE register_types;
