// The tabs, in order. A tab is one module (`tab-<id>.js`, exporting `create(panel, app)`)
// plus one line here. `needs` names an API route prefix: the tab appears only when the
// daemon's route index (`GET /api/v1`) lists a route under it, so a tab whose API is not in
// this build stays hidden instead of showing made-up data.

export const TABS = [
  { id: "overview", title: "Overview", load: () => import("./tab-overview.js") },
  { id: "trends", title: "Trends", load: () => import("./tab-trends.js") },
  { id: "gpu", title: "GPU", load: () => import("./tab-gpu.js") },
  { id: "jobs", title: "Jobs", needs: "/api/v1/jobs", load: () => import("./tab-jobs.js") },
  { id: "alerts", title: "Alerts", needs: "/api/v1/alerts", load: () => import("./tab-alerts.js") },
  { id: "optimization", title: "Optimization", needs: "/api/v1/optimization", load: () => import("./tab-optimization.js") },
  { id: "activity", title: "Activity", needs: "/api/v1/activity", load: () => import("./tab-activity.js") },
];
