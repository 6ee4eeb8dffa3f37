// Starts GOV.UK Frontend's enhancements (a module script, so CSP 'self' allows it with no
// inline code). Every page works without it.
import { initAll, isSupported } from "./govuk-frontend.min.js";

document.body.classList.add("js-enabled");
if (isSupported()) {
  document.body.classList.add("govuk-frontend-supported");
  initAll();
}
