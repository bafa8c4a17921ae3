DROP TABLE as4_received;
DROP TABLE as4_partners;
