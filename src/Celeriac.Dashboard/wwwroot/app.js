// Starts the dashboard once every page script has registered its routes.
"use strict";
window.Celeriac.start();
