-- Events stored before their project had a payload dictionary (compressed without one), so that
-- they can be found and compressed again once it has one.
CREATE INDEX events_without_dict ON events (project_id, id) WHERE dict_id IS NULL;
