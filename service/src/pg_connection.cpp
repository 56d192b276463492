#include "pg_connection.hpp"

#include <libpq-fe.h>

#include <charconv>

namespace bp::controller::pg {

namespace {

// libpq's messages end with a newline; ours do not.
std::string trimmed(const char* message) {
    std::string s = message ? message : "";
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
}

void ignore_notice(void*, const char*) {}

}  // namespace

Rows::~Rows() {
    if (r_) PQclear(r_);
}
int Rows::size() const { return PQntuples(r_); }
bool Rows::null(int row, int column) const { return PQgetisnull(r_, row, column) != 0; }
std::string Rows::text(int row, int column) const {
    return std::string(PQgetvalue(r_, row, column), static_cast<std::size_t>(PQgetlength(r_, row, column)));
}
std::int64_t Rows::int64(int row, int column) const {
    const char* v = PQgetvalue(r_, row, column);
    const int n = PQgetlength(r_, row, column);
    std::int64_t out = 0;
    std::from_chars(v, v + n, out);
    return out;
}
double Rows::real(int row, int column) const {
    const char* v = PQgetvalue(r_, row, column);
    double out = 0;
    std::from_chars(v, v + PQgetlength(r_, row, column), out);
    return out;
}
bool Rows::boolean(int row, int column) const { return PQgetlength(r_, row, column) > 0 && PQgetvalue(r_, row, column)[0] == 't'; }
std::int64_t Rows::affected() const {
    const char* n = PQcmdTuples(r_);
    std::int64_t out = 0;
    if (n) std::from_chars(n, n + std::char_traits<char>::length(n), out);
    return out;
}

Param::Param(double v) {
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    text = std::string(buf, r.ptr);
}

Result<std::unique_ptr<Connection>> Connection::open(const std::string& conninfo, bool synchronous_commit) {
    // expand_dbname: `dbname` may be a whole URL or key=value string; the other keys are defaults.
    const char* keys[] = {"dbname", "fallback_application_name", "connect_timeout", nullptr};
    const char* values[] = {conninfo.c_str(), "bootprint-service", "10", nullptr};
    pg_conn* c = PQconnectdbParams(keys, values, 1);
    if (c == nullptr) return make_error(Errc::database, "postgresql: out of memory opening a connection");
    if (PQstatus(c) != CONNECTION_OK) {
        std::string message = trimmed(PQerrorMessage(c));
        PQfinish(c);
        return make_error(Errc::database, "postgresql: cannot connect: " + message);
    }
    PQsetNoticeProcessor(c, ignore_notice, nullptr);
    std::unique_ptr<Connection> out(new Connection(c));
    BP_TRY_STATUS(out->exec(std::string("SET client_min_messages = warning; SET TIME ZONE 'UTC'; SET synchronous_commit = ") +
                            (synchronous_commit ? "on" : "off")));
    return out;
}

Connection::~Connection() {
    if (c_) PQfinish(c_);
}

bool Connection::healthy() const { return PQstatus(c_) == CONNECTION_OK; }

bool Connection::in_transaction() const {
    const auto s = PQtransactionStatus(c_);
    return s == PQTRANS_INTRANS || s == PQTRANS_INERROR || s == PQTRANS_ACTIVE;
}

Status Connection::exec(const std::string& sql) {
    last_sqlstate_.clear();
    pg_result* r = PQexec(c_, sql.c_str());
    Rows rows(r);
    const auto status = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return {};
    if (r) {
        const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
        if (state) last_sqlstate_ = state;
    }
    return make_error(Errc::database, "postgresql: " + trimmed(r ? PQresultErrorMessage(r) : PQerrorMessage(c_)));
}

Result<Rows> Connection::query(const char* sql, std::initializer_list<Param> params) {
    return run(sql, params.begin(), params.size());
}

Result<Rows> Connection::query(const std::string& sql, const std::vector<Param>& params) {
    return run(sql.c_str(), params.data(), params.size());
}

Result<Rows> Connection::run(const char* sql, const Param* params, std::size_t count) {
    last_sqlstate_.clear();
    std::vector<const char*> values(count);
    for (std::size_t i = 0; i < count; ++i) values[i] = params[i].text ? params[i].text->c_str() : nullptr;
    pg_result* r = PQexecParams(c_, sql, static_cast<int>(count), nullptr, values.data(), nullptr, nullptr, 0);
    Rows rows(r);
    const auto status = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return rows;
    if (r) {
        const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
        if (state) last_sqlstate_ = state;
    }
    return make_error(Errc::database, "postgresql: " + trimmed(r ? PQresultErrorMessage(r) : PQerrorMessage(c_)));
}

std::string text_array(const std::vector<std::string>& values) {
    std::string out = "{";
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (i) out += ',';
        out += '"';
        for (char ch : values[i]) {
            if (ch == '"' || ch == '\\') out += '\\';
            out += ch;
        }
        out += '"';
    }
    out += '}';
    return out;
}

std::string int_array(const std::vector<std::int64_t>& values) {
    std::string out = "{";
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (i) out += ',';
        out += std::to_string(values[i]);
    }
    out += '}';
    return out;
}

}  // namespace bp::controller::pg
