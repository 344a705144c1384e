class ValidationError extends Error {
  constructor(message, field, options) {
    super(message, options);
    this.name = 'ValidationError';
    this.field = field;
  }
}

class UpstreamError extends Error {
  constructor(service, status, options) {
    super(`${service} answered HTTP ${status}`, options);
    this.name = 'UpstreamError';
    this.status = status;
  }
}

module.exports = { ValidationError, UpstreamError };
