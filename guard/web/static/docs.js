// /docs: Swagger UI over this guard's own OpenAPI document, from files in the package
// (static/swagger-ui/, swagger-ui-dist, Apache-2.0): nothing from a CDN, so it works in a
// warehouse without internet. Relative URLs, so it also works behind a path prefix.
window.ui = SwaggerUIBundle({
  url: "openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null, // no call to the public validator
  persistAuthorization: false, // a key typed into "Authorize" is not kept in the browser
  displayOperationId: true, // the names a generated client gives the calls
  tryItOutEnabled: false,
});
