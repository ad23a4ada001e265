// htm bound to Preact's h(): tagged templates instead of JSX, no build step.
// htm parses templates at run time without eval, so it is CSP-safe.
import { h, Fragment, render } from './vendor/preact.mjs';
import htm from './vendor/htm.mjs';

export const html = htm.bind(h);
export { h, Fragment, render };
