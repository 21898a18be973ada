// Starts Swagger UI on the generated OpenAPI document. A file of its own because the
// Content-Security-Policy forbids inline scripts.
/* global SwaggerUIBundle */
const root = document.getElementById("swagger-ui");
if (root && typeof SwaggerUIBundle === "function") {
  SwaggerUIBundle({
    url: root.dataset.specUrl,
    domNode: root,
    deepLinking: true,
    tryItOutEnabled: false,
    // No calls to the public validator service: the page talks to this site only.
    validatorUrl: null,
  });
}
