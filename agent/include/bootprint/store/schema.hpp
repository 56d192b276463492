// The store's schema version: the number of the newest migration compiled into this binary
// (schema/agent/NNN_*.sql). AgentStore::open brings older databases up to it and refuses newer ones.
#pragma once

namespace bp::store {

int latest_schema_version();

}  // namespace bp::store
