#!/usr/bin/env python3
"""Writes the provisioned Peermetrics dashboards (provisioning/dashboards/peermetrics/*.json).

The JSON files are the product; this script is how they are kept consistent (one data source
reference, one query model, one set of filter variables, links only to dashboards and variables
that exist). Edit here, run `python3 provisioning/dashboards/generate.py`, commit both.

Query JSON follows SPEC §3 / src/types.ts: {queryType, appId, filters{...}, groupBy, metric,
conferenceId, sessionId, connectionId, limit}. Multi-value variables are written as one list entry
("$browser"); the frontend expands them. "All" is sent as "$__all", which the backend drops, so
"All" means "no filter" (not "only the values listed").
"""

import json
import os
import sys

DS = {"type": "peermetrics-webrtc-datasource", "uid": "peermetrics"}
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "peermetrics")

UID = {
    "overview": "peermetrics-overview",
    "conferences": "peermetrics-conferences",
    "conference": "peermetrics-conference",
    "session": "peermetrics-session",
    "connection": "peermetrics-connection",
    "participant": "peermetrics-participant",
    "issues": "peermetrics-issues",
    "quality": "peermetrics-quality",
}
TITLE = {
    "overview": "Peermetrics / Overview",
    "conferences": "Peermetrics / Conferences",
    "conference": "Peermetrics / Conference",
    "session": "Peermetrics / Session",
    "connection": "Peermetrics / Connection",
    "participant": "Peermetrics / Participant",
    "issues": "Peermetrics / Issues",
    "quality": "Peermetrics / Quality",
}

# Dimension filters of every summary query (SPEC §3) and the variable kind that lists their values.
DIMS = [
    ("browser", "Browser", "browsers"),
    ("os", "OS", "os"),
    ("country", "Country", "countries"),
    ("appVersion", "App version", "appVersions"),
    ("sdk", "SDK", "sdks"),
]
DIM_NAMES = [d[0] for d in DIMS]
# Variables whose values a top-nav link carries over to another dashboard when both have them.
CARRIED = ["app"] + DIM_NAMES + ["status", "issueCode", "durationMin", "durationMax", "search"]


# ---------------------------------------------------------------------------------------------
# Variables


def app_var():
    # appId is single-valued. "All" is sent as a blank, which the backend trims to "no app narrowing"
    # (an appId must otherwise be a uuid).
    return {
        "type": "query",
        "name": "app",
        "label": "App",
        "description": "Peermetrics app (All = every app in the data source's scope)",
        "datasource": DS,
        "query": {"refId": "PeermetricsVariableQuery", "queryType": "variable", "variable": "apps"},
        "definition": "apps",
        "refresh": 1,
        "sort": 1,
        "multi": False,
        "includeAll": True,
        "allValue": " ",
        "current": {"selected": True, "text": "All", "value": "$__all"},
        "options": [],
        "hide": 0,
        "regex": "",
        "skipUrlSync": False,
    }


def dim_var(name, label, kind):
    return {
        "type": "query",
        "name": name,
        "label": label,
        "datasource": DS,
        "query": {"refId": "PeermetricsVariableQuery", "queryType": "variable", "variable": kind, "appId": "$app"},
        "definition": kind,
        "refresh": 1,
        "sort": 1,
        "multi": True,
        "includeAll": True,
        "allValue": "$__all",
        "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
        "options": [],
        "hide": 0,
        "regex": "",
        "skipUrlSync": False,
    }


def issue_code_var():
    v = dim_var("issueCode", "Issue code", "issueCodes")
    v["description"] = "Only conferences (or issues) with one of these issue codes"
    return v


def status_var():
    values = ["success", "warning", "error", "ongoing"]
    return {
        "type": "custom",
        "name": "status",
        "label": "Status",
        "description": "Conference status: ongoing, else error (an error issue), else warning, else success",
        "query": ",".join(values),
        "multi": True,
        "includeAll": True,
        "allValue": "$__all",
        "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
        "options": [{"selected": v == "All", "text": v, "value": "$__all" if v == "All" else v} for v in ["All"] + values],
        "hide": 0,
        "skipUrlSync": False,
    }


def textbox(name, label, description, hide=0):
    return {
        "type": "textbox",
        "name": name,
        "label": label,
        "description": description,
        "query": "",
        "current": {"selected": False, "text": "", "value": ""},
        "options": [{"selected": True, "text": "", "value": ""}],
        "hide": hide,
        "skipUrlSync": False,
    }


def filter_vars():
    return [app_var()] + [dim_var(*d) for d in DIMS]


# ---------------------------------------------------------------------------------------------
# Queries


def summary_target(query_type, ref="A", extra_filters=None, **fields):
    """A summary query with the dashboard's app and dimension filters."""
    t = {"refId": ref, "datasource": DS, "queryType": query_type, "appId": "$app"}
    filters = {d: ["$" + d] for d in DIM_NAMES}
    filters.update(extra_filters or {})
    t["filters"] = filters
    t.update(fields)
    return t


def detail_target(query_type, ref="A", **fields):
    t = {"refId": ref, "datasource": DS, "queryType": query_type}
    t.update(fields)
    return t


CONFERENCE_LIST_FILTERS = {
    "status": ["$status"],
    "issueCode": ["$issueCode"],
    "durationMinSeconds": "$durationMin",
    "durationMaxSeconds": "$durationMax",
}


# ---------------------------------------------------------------------------------------------
# Panels


class Layout:
    """Places panels left to right on Grafana's 24-column grid and numbers them."""

    def __init__(self):
        self.x = 0
        self.y = 0
        self.row_h = 0
        self.next_id = 1
        self.panels = []

    def add(self, panel, w, h, pid=None):
        if self.x + w > 24:
            self.x, self.y, self.row_h = 0, self.y + self.row_h, 0
        panel["gridPos"] = {"x": self.x, "y": self.y, "w": w, "h": h}
        panel["id"] = pid if pid is not None else self.next_id
        self.next_id = max(self.next_id, panel["id"]) + 1
        self.x += w
        self.row_h = max(self.row_h, h)
        self.panels.append(panel)
        return panel

    def newline(self):
        if self.x:
            self.x, self.y, self.row_h = 0, self.y + self.row_h, 0


def base_panel(kind, title, targets, description=""):
    return {
        "type": kind,
        "title": title,
        "description": description,
        "datasource": DS,
        "targets": targets,
        "fieldConfig": {"defaults": {}, "overrides": []},
        "options": {},
    }


def name_regex(*names):
    """A field matcher regex for a field's name or its display name from the data source."""
    return "/^(" + "|".join(n.replace("(", r"\(").replace(")", r"\)") for n in names) + ")$/"


def stat(title, target, field_names, description="", thresholds=None, decimals=None, max_data_points=None):
    p = base_panel("stat", title, [target], description)
    if max_data_points:
        p["maxDataPoints"] = max_data_points
    p["options"] = {
        "reduceOptions": {"values": False, "calcs": ["lastNotNull"], "fields": name_regex(*field_names)},
        "orientation": "auto",
        "textMode": "value",
        "colorMode": "value" if thresholds else "none",
        "graphMode": "none",
        "justifyMode": "center",
        "wideLayout": True,
        "showPercentChange": False,
    }
    d = {"color": {"mode": "thresholds"}, "noValue": "–"}
    d["thresholds"] = {
        "mode": "absolute",
        "steps": thresholds or [{"color": "text", "value": None}],
    }
    if decimals is not None:
        d["decimals"] = decimals
    p["fieldConfig"]["defaults"] = d
    return p


# Fleet quality panels (and the MOS p50 stats) draw the same number of points whatever their width, so
# that Grafana sends them the same interval: the plugin then reads their samples once for all of them
# (one statement per day for the quality panel, the four quality metrics and MOS p50) and they share
# cached buckets across dashboards. 720 points: 1 h buckets over 30 days.
QUALITY_POINTS = 720


def timeseries(title, targets, description="", bars=False, stacked=False, unit=None, interval=None, legend="list",
               max_data_points=None):
    p = base_panel("timeseries", title, targets, description)
    custom = {
        "drawStyle": "bars" if bars else "line",
        "lineWidth": 1,
        "fillOpacity": 80 if bars else 10,
        "pointSize": 4,
        "showPoints": "never",
        "spanNulls": False,
        "stacking": {"mode": "normal" if stacked else "none", "group": "A"},
        "axisBorderShow": False,
        "axisPlacement": "auto",
        "barAlignment": -1 if bars else 0,
    }
    p["fieldConfig"]["defaults"] = {"custom": custom, "color": {"mode": "palette-classic"}}
    if unit:
        p["fieldConfig"]["defaults"]["unit"] = unit
    p["options"] = {
        "legend": {"showLegend": True, "displayMode": legend, "placement": "bottom", "calcs": [] if legend == "list" else ["mean", "max"]},
        "tooltip": {"mode": "multi", "sort": "desc"},
    }
    if interval:
        p["interval"] = interval
    if max_data_points:
        p["maxDataPoints"] = max_data_points
    return p


def table(title, targets, description="", links=None, sort=None):
    p = base_panel("table", title, targets, description)
    p["fieldConfig"]["defaults"] = {"custom": {"align": "auto", "filterable": True, "cellOptions": {"type": "auto"}}}
    if links:
        # Panel defaults apply to every field without links of its own from the data source, so a
        # click anywhere in a row opens that row's item; ${__data.fields.<field>} reads the row's uuid.
        p["fieldConfig"]["defaults"]["links"] = links
    p["options"] = {"showHeader": True, "cellHeight": "sm", "footer": {"show": False, "reducer": ["sum"], "fields": ""}}
    if sort:
        p["options"]["sortBy"] = [{"displayName": sort[0], "desc": sort[1]}]
    return p


def hide_fields_override(regex):
    return {
        "matcher": {"id": "byRegexp", "options": regex},
        "properties": [{"id": "custom.hideFrom", "value": {"viz": True, "legend": True, "tooltip": False}}],
    }


def barchart(title, target, x_field, description="", x_is_number=False):
    p = base_panel("barchart", title, [target], description)
    p["options"] = {
        "xField": x_field,
        "orientation": "vertical",
        "showValue": "auto",
        "stacking": "none",
        "groupWidth": 0.7,
        "barWidth": 0.9,
        "xTickLabelRotation": 0,
        "legend": {"showLegend": False, "displayMode": "list", "placement": "bottom", "calcs": []},
        "tooltip": {"mode": "single", "sort": "none"},
    }
    p["fieldConfig"]["defaults"] = {"color": {"mode": "palette-classic"}, "custom": {"fillOpacity": 80, "lineWidth": 1}}
    # The bucket bounds are for links and tables, not bars.
    p["fieldConfig"]["overrides"] = [hide_fields_override("/^(min|max)/i")]
    if x_is_number:
        # Bar charts need a string (or time) x field.
        p["transformations"] = [
            {
                "id": "convertFieldType",
                "options": {
                    "fields": {},
                    "conversions": [
                        {"targetField": x_field, "destinationType": "string"},
                        {"targetField": x_field[:1].upper() + x_field[1:], "destinationType": "string"},
                    ],
                },
            }
        ]
    return p


def piechart(title, target, value_names, description=""):
    p = base_panel("piechart", title, [target], description)
    p["options"] = {
        "reduceOptions": {"values": True, "calcs": ["lastNotNull"], "fields": name_regex(*value_names)},
        "pieType": "donut",
        "displayLabels": ["percent"],
        "legend": {"showLegend": True, "displayMode": "table", "placement": "right", "values": ["value", "percent"]},
        "tooltip": {"mode": "single", "sort": "none"},
    }
    p["fieldConfig"]["defaults"] = {"color": {"mode": "palette-classic"}}
    return p


def bargauge(title, target, value_names, description="", unit=None):
    p = base_panel("bargauge", title, [target], description)
    p["options"] = {
        "reduceOptions": {"values": True, "calcs": ["lastNotNull"], "fields": name_regex(*value_names)},
        "orientation": "horizontal",
        "displayMode": "gradient",
        "valueMode": "color",
        "namePlacement": "left",
        "showUnfilled": True,
        "sizing": "auto",
        "minVizHeight": 16,
        "maxVizHeight": 48,
    }
    p["fieldConfig"]["defaults"] = {"color": {"mode": "continuous-BlPu"}, "min": 0}
    if unit:
        p["fieldConfig"]["defaults"]["unit"] = unit
    return p


def geomap(title, target, description=""):
    p = base_panel("geomap", title, [target], description)
    p["options"] = {
        "view": {"id": "zero", "lat": 20, "lon": 0, "zoom": 1, "allLayers": True},
        "controls": {"showZoom": True, "mouseWheelZoom": False, "showAttribution": True},
        "basemap": {"type": "default", "name": "Basemap", "config": {}},
        "layers": [
            {
                "type": "markers",
                "name": "Sessions by city",
                "config": {
                    "showLegend": True,
                    "style": {
                        "size": {"field": "sessions", "fixed": 5, "min": 3, "max": 24},
                        "color": {"field": "errorRatePct", "fixed": "dark-green"},
                        "opacity": 0.6,
                        "symbol": {"mode": "fixed", "fixed": "img/icons/marker/circle.svg"},
                        "symbolAlign": {"horizontal": "center", "vertical": "center"},
                    },
                },
                "location": {"mode": "coords", "latitude": "latitude", "longitude": "longitude"},
                "tooltip": True,
            }
        ],
        "tooltip": {"mode": "details"},
    }
    p["fieldConfig"]["defaults"] = {
        "color": {"mode": "continuous-GrYlRd"},
        "min": 0,
        "max": 20,
    }
    return p



def link(title, url):
    return {"title": title, "url": url, "targetBlank": False}


def drill(dash, var, field="id"):
    """A row link to dashboard dash; field is the frame field holding the row's uuid (participants
    tables call it "participant", the other lists "id")."""
    return f"/d/{UID[dash]}?var-{var}=${{__data.fields.{field}}}&${{__url_time_range}}"


# connectionStats: one query, one panel per measure (fields picked by name or display name).
STATS_PANELS = [
    ("Bitrate", "/^time$|bitrate/i", "bps", "Bits per second from byte counters (payload + header); null across a stats reset"),
    ("Packet rate", "/^time$|packet ?rate/i", "pps", "Packets per second from packet counters"),
    ("Packet loss", "/^time$|loss/i", "percent", "Lost / (lost + received) over each sample interval"),
    ("Round-trip time", "/^time$|rtt|round.?trip/i", "ms", "From remote-inbound roundTripTime or the candidate pair's currentRoundTripTime"),
    ("Jitter", "/^time$|jitter/i", "ms", "Inbound jitter"),
    ("MOS (audio)", "/^time$|mos/i", "none", "eMOS per inbound audio sample, loss fed in percent over the interval"),
    ("Frame rate", "/^time$|fps|frames? ?per ?second/i", "fps", "Video frames per second"),
    ("Frame height", "/^time$|frame ?height|resolution/i", "px", "Video frame height"),
]


def stats_panels(layout, id_field, id_var, which):
    for title, regex, unit, desc in STATS_PANELS:
        if title not in which:
            continue
        p = timeseries(title, [detail_target("connectionStats", **{id_field: "$" + id_var})], desc, unit=unit)
        p["transformations"] = [{"id": "filterFieldsByName", "options": {"include": {"pattern": regex}}}]
        if title == "MOS (audio)":
            p["fieldConfig"]["defaults"].update({"min": 1, "max": 5})
            p["fieldConfig"]["defaults"]["thresholds"] = {
                "mode": "absolute",
                "steps": [{"color": "red", "value": None}, {"color": "orange", "value": 3}, {"color": "green", "value": 3.5}],
            }
            p["fieldConfig"]["defaults"]["custom"]["thresholdsStyle"] = {"mode": "line+area"}
        layout.add(p, 12, 8)


# ---------------------------------------------------------------------------------------------
# Dashboards


def dashboard(key, panels, variables, description, time_from="now-7d", annotations=None, tags=()):
    anns = [
        {
            "builtIn": 1,
            "datasource": {"type": "grafana", "uid": "-- Grafana --"},
            "enable": True,
            "hide": True,
            "iconColor": "rgba(0, 211, 255, 1)",
            "name": "Annotations & Alerts",
            "type": "dashboard",
        }
    ] + (annotations or [])
    return {
        "uid": UID[key],
        "title": TITLE[key],
        "description": description,
        "tags": ["peermetrics", "webrtc"] + list(tags),
        "timezone": "utc",
        "editable": True,
        "graphTooltip": 1,
        "schemaVersion": 39,
        "version": 1,
        "refresh": "",
        "time": {"from": time_from, "to": "now"},
        "timepicker": {},
        "fiscalYearStartMonth": 0,
        "liveNow": False,
        "weekStart": "",
        "annotations": {"list": anns},
        "templating": {"list": variables},
        "links": [],
        "panels": panels,
    }


def issues_annotation(enable=False):
    return {
        "name": "Issues",
        "datasource": DS,
        "enable": enable,
        "hide": False,
        "iconColor": "red",
        "target": summary_target("annotations", ref="Anno"),
    }


def overview():
    L = Layout()
    ov = lambda: summary_target("overview")  # noqa: E731
    pct = [{"color": "green", "value": None}, {"color": "orange", "value": 5}, {"color": "red", "value": 10}]
    L.add(stat("Conferences", ov(), ["conferences", "Conferences"], "Conferences started in the range; click for the list"), 3, 4, 1)
    L.add(stat("Participants", ov(), ["participants", "Participants"], "Distinct participants"), 3, 4, 2)
    L.add(stat("Sessions", ov(), ["sessions", "Sessions"], "Sessions (a participant joining a conference)"), 3, 4, 3)
    L.add(stat("Participant minutes", ov(), ["minutes", "Participant minutes", "Minutes"], "Sum of session durations, in minutes"), 3, 4, 4)
    L.add(stat("Conference error rate", ov(), ["errorRatePct", "Conference error rate"], "Share of conferences with at least one error issue", pct), 3, 4, 5)
    L.add(stat("Relayed connections", ov(), ["relayedPct", "Relayed connections"], "Share of connections with a known candidate type that went through TURN"), 3, 4, 6)
    L.add(
        stat("Setup time p95", ov(), ["setupP95Ms", "Setup time p95"], "95th percentile of the first negotiation's duration (connected ones)",
             [{"color": "green", "value": None}, {"color": "orange", "value": 2000}, {"color": "red", "value": 3000}]),
        3, 4, 7)
    L.add(
        stat("MOS p50", summary_target("overview", metric="mosP50"), ["mosP50", "MOS p50"], "Median audio eMOS (1-5), computed apart: it reads every call summary of the range",
             [{"color": "red", "value": None}, {"color": "orange", "value": 3}, {"color": "green", "value": 3.5}], decimals=2,
             max_data_points=QUALITY_POINTS),
        3, 4, 8)

    cs = timeseries("Conference status per day", [summary_target("conferenceStatus")],
                    "Conferences per UTC day by status (Peermetrics parity). Click a bar for exactly the conferences it counts.",
                    bars=True, stacked=True, interval="1d")
    cs["fieldConfig"]["overrides"] = [
        {"matcher": {"id": "byRegexp", "options": name_regex(n, n.capitalize())},
         "properties": [{"id": "color", "value": {"mode": "fixed", "fixedColor": c}}]}
        for n, c in [("success", "green"), ("warning", "orange"), ("error", "red"), ("ongoing", "blue")]
    ]
    L.add(cs, 16, 9, 9)
    L.add(table("Most common issues", [summary_target("issueSummary")],
                "Issues by code; attributed to a conference through their connection or session when they have none. Click for the conferences.",
                sort=("count", True)), 8, 9, 10)

    L.add(bargauge("Session funnel", summary_target("funnel"), ["sessions", "Sessions"],
                   "Sessions through each step: started, media access, connection attempted, connected, media flowing, stable"), 12, 9, 11)
    L.add(timeseries("Call quality over time", [summary_target("quality")],
                     "Fleet p50/p95 of MOS, loss, RTT and jitter, and the share of poor sessions (thresholds from the data source settings). See the Quality dashboard.",
                     max_data_points=QUALITY_POINTS),
          12, 9, 12)

    L.add(table("getUserMedia errors", [summary_target("gumErrors")], "Media access errors by source and name, with the first message seen",
                sort=("count", True)), 8, 9, 13)
    L.add(piechart("Relayed connections (ICE candidate types)", summary_target("connectionTypes"), ["connections", "Connections"],
                   "Connections by selected local candidate type and protocol (relay = TURN)"), 8, 9, 14)
    L.add(barchart("Setup time", summary_target("setupTimeHistogram"), "range",
                   "Connections per setup time bucket (first negotiation, connected ones)"), 8, 9, 15)

    L.add(barchart("Conference duration", summary_target("durationHistogram"), "range", "Conferences per duration bucket"), 8, 9, 16)
    L.add(barchart("Participants per conference", summary_target("participantHistogram"), "participants",
                   "Conferences per number of distinct (non-SFU) participants", x_is_number=True), 8, 9, 17)
    L.add(piechart("Browsers", summary_target("breakdown", groupBy="browser"), ["sessions", "Sessions"], "Sessions by browser"), 8, 9, 18)

    L.add(piechart("Operating systems", summary_target("breakdown", groupBy="os"), ["sessions", "Sessions"], "Sessions by operating system"), 8, 12, 19)
    L.add(geomap("Sessions by city", summary_target("breakdown", groupBy="city"),
                 "Sessions by city (size) and their error rate (colour); cities without coordinates are left out"), 16, 12, 20)

    L.add(table("Sessions by app version", [summary_target("breakdown", groupBy="appVersion")], "Sessions, conferences, issues and error rate per app version",
                sort=("sessions", True)), 12, 8, 21)
    L.add(table("Sessions by SDK integration", [summary_target("breakdown", groupBy="sdk")], "Per WebRTC SDK integration (empty = plain RTCPeerConnection)",
                sort=("sessions", True)), 12, 8, 22)
    return dashboard("overview", L.panels, filter_vars(),
                     "Every chart of the Peermetrics dashboard, with filters that reach every panel, plus funnel and call quality. Click any number for the conferences behind it.",
                     annotations=[issues_annotation()])


def conferences():
    L = Layout()
    flt = dict(CONFERENCE_LIST_FILTERS)
    ov = lambda: summary_target("overview", extra_filters=flt)  # noqa: E731
    L.add(stat("Conferences", ov(), ["conferences", "Conferences"], "Conferences matching the filters (the search box narrows only the list)"), 6, 4)
    L.add(stat("With errors", ov(), ["conferencesWithErrors", "Conferences with errors"], "", [{"color": "red", "value": None}]), 6, 4)
    L.add(stat("With warnings", ov(), ["conferencesWithWarnings", "Conferences with warnings"], "", [{"color": "orange", "value": None}]), 6, 4)
    L.add(stat("Participants", ov(), ["participants", "Participants"]), 6, 4)
    cs = timeseries("Conference status", [summary_target("conferenceStatus", extra_filters=flt)],
                    "Conferences per bucket by status with the same filters", bars=True, stacked=True)
    cs["fieldConfig"]["overrides"] = [
        {"matcher": {"id": "byRegexp", "options": name_regex(n, n.capitalize())},
         "properties": [{"id": "color", "value": {"mode": "fixed", "fixedColor": c}}]}
        for n, c in [("success", "green"), ("warning", "orange"), ("error", "red"), ("ongoing", "blue")]
    ]
    L.add(cs, 24, 7)
    lst = dict(flt)
    lst["search"] = "$search"
    L.add(table("Conferences", [summary_target("conferences", extra_filters=lst, limit=1000)],
                "Newest first, one row per conference (up to 1000; narrow the time range or the filters for more). Click a row for the conference.",
                links=[link("Open conference", drill("conference", "conference"))]), 24, 18)
    variables = filter_vars() + [
        status_var(),
        issue_code_var(),
        textbox("durationMin", "Min duration (s)", "Only conferences lasting at least this many seconds"),
        textbox("durationMax", "Max duration (s)", "Only conferences lasting at most this many seconds"),
        textbox("search", "Search", "Conference id or name contains"),
    ]
    return dashboard("conferences", L.panels, variables,
                     "The conference list with every filter as a variable: the target of the drilldown links of the summaries.")


def participants_table(title, **ids):
    return table(title, [detail_target("participants", **ids)], "Participants: browser, OS, location, time in call. Click for the participant.",
                 links=[link("Open participant", drill("participant", "participant", field="participant"))])


def sessions_table(title, **ids):
    return table(title, [detail_target("sessions", limit=1000, **ids)],
                 "Sessions: browser, OS, devices, location, app version, SDK, time in call. Click for the session.",
                 links=[link("Open session", drill("session", "session"))])


def connections_table(title, **ids):
    return table(title, [detail_target("connections", limit=1000, **ids)],
                 "Peer connections: candidate type, state, setup time, negotiations. Click for the connection.",
                 links=[link("Open connection", drill("connection", "connection"))])


def issues_table(title, **ids):
    return table(title, [detail_target("issues", limit=1000, **ids)], "Issues: code, title, severity, time")


def events_table(title, **ids):
    return table(title, [detail_target("events", limit=5000, **ids)], "Event timeline: time, category, type and a readable summary")


ALL_STATS = [p[0] for p in STATS_PANELS]
CALL_STATS = ["Bitrate", "Packet loss", "Round-trip time", "Jitter", "MOS (audio)", "Frame rate"]


def conference():
    L = Layout()
    ids = {"conferenceId": "$conference"}
    L.add(participants_table("Participants", **ids), 12, 8)
    L.add(issues_table("Issues", **ids), 12, 8)
    L.add(sessions_table("Sessions", **ids), 24, 8)
    L.add(connections_table("Connections", **ids), 24, 8)
    stats_panels(L, "conferenceId", "conference", CALL_STATS)
    L.add(events_table("Events", **ids), 24, 12)
    v = [textbox("conference", "Conference", "Peermetrics conference uuid (or the app's own conference id)")]
    return dashboard("conference", L.panels, v,
                     "One conference: participants, sessions, connections, issues, events and per-connection stats. Open it from the Conferences list.",
                     time_from="now-30d")


def session():
    L = Layout()
    ids = {"sessionId": "$session"}
    L.add(sessions_table("Session", **ids), 24, 5)
    L.add(connections_table("Connections", **ids), 24, 7)
    L.add(issues_table("Issues", **ids), 12, 8)
    L.add(participants_table("Participant", **ids), 12, 8)
    stats_panels(L, "sessionId", "session", CALL_STATS)
    L.add(events_table("Events", **ids), 24, 12)
    v = [textbox("session", "Session", "Peermetrics session uuid")]
    return dashboard("session", L.panels, v, "One session (a participant in a conference): its connections, issues, events and stats.",
                     time_from="now-30d")


def connection():
    L = Layout()
    ids = {"connectionId": "$connection"}
    L.add(connections_table("Connection", **ids), 24, 5)
    L.add(issues_table("Issues", **ids), 12, 8)
    L.add(participants_table("Participants (local and peer)", **ids), 12, 8)
    stats_panels(L, "connectionId", "connection", ALL_STATS)
    L.add(events_table("Events", **ids), 24, 12)
    v = [textbox("connection", "Connection", "Peermetrics connection uuid")]
    return dashboard("connection", L.panels, v, "One peer connection: state, negotiations, issues, events and its getStats time series.",
                     time_from="now-30d")


def participant():
    L = Layout()
    flt = {"filters": {"participantId": "$participant"}}
    L.add(participants_table("Participant", **flt), 24, 5)
    L.add(sessions_table("Sessions", **flt), 24, 8)
    L.add(connections_table("Connections", **flt), 24, 8)
    L.add(issues_table("Issues", **flt), 24, 8)
    L.add(events_table("Events", **flt), 24, 12)
    v = [textbox("participant", "Participant", "Participant id (Peermetrics uuid or the app's participant id)")]
    return dashboard("participant", L.panels, v,
                     "One participant across conferences: sessions, connections, issues and events. Open a session for its stats.",
                     time_from="now-30d")


def issues():
    L = Layout()
    flt = {"issueCode": ["$issueCode"]}
    L.add(table("Issues by code", [summary_target("issueSummary", extra_filters=flt)],
                "Count, affected conferences and sessions per issue code. Click for exactly the conferences counted.",
                sort=("count", True)), 24, 9)
    L.add(timeseries("Issues over time by code", [summary_target("timeseries", extra_filters=flt, metric="issues", groupBy="issueCode")],
                     "Issues reported per bucket, one series per code", bars=True, stacked=True, legend="table"), 24, 10)
    L.add(timeseries("Failed connections", [summary_target("timeseries", extra_filters=flt, metric="failedConnections"),
                                            summary_target("timeseries", ref="B", extra_filters=flt, metric="connections")],
                     "Connections that failed, against all connections"), 12, 8)
    L.add(timeseries("getUserMedia errors", [summary_target("timeseries", extra_filters=flt, metric="gumErrors"),
                                             summary_target("timeseries", ref="B", extra_filters=flt, metric="sessions")],
                     "Media access errors, against sessions"), 12, 8)
    L.add(table("getUserMedia errors by name", [summary_target("gumErrors", extra_filters=flt)], "", sort=("count", True)), 12, 8)
    L.add(table("Issues by browser", [summary_target("breakdown", extra_filters=flt, groupBy="browser")],
                "Sessions, conferences, issues and error rate per browser", sort=("issues", True)), 12, 8)
    return dashboard("issues", L.panels, filter_vars() + [issue_code_var()],
                     "What goes wrong and how often: issue codes, failures and media access errors over time. Click a code for its conferences.",
                     annotations=[issues_annotation()])


def quality():
    L = Layout()
    ov = lambda: summary_target("overview")  # noqa: E731
    L.add(stat("MOS p50", summary_target("overview", metric="mosP50"), ["mosP50", "MOS p50"], "Median audio eMOS",
               [{"color": "red", "value": None}, {"color": "orange", "value": 3}, {"color": "green", "value": 3.5}], decimals=2,
               max_data_points=QUALITY_POINTS), 6, 4)
    L.add(stat("Setup time p50", ov(), ["setupP50Ms", "Setup time p50"]), 6, 4)
    L.add(stat("Setup time p95", ov(), ["setupP95Ms", "Setup time p95"], "",
               [{"color": "green", "value": None}, {"color": "orange", "value": 2000}, {"color": "red", "value": 3000}]), 6, 4)
    L.add(stat("Relayed connections", ov(), ["relayedPct", "Relayed connections"]), 6, 4)
    L.add(timeseries("Fleet quality", [summary_target("quality")],
                     "Per bucket p50/p95 of MOS, loss, RTT, jitter and the share of sessions breaching a quality threshold", legend="table",
                     max_data_points=QUALITY_POINTS), 24, 10)
    for title, metric, unit, desc in [
        ("MOS p50", "mosP50", "none", "Median audio eMOS per bucket"),
        ("Packet loss p95", "lossP95Pct", "percent", "95th percentile packet loss per bucket"),
        ("RTT p95", "rttP95Ms", "ms", "95th percentile round-trip time per bucket"),
        ("Jitter p95", "jitterP95Ms", "ms", "95th percentile jitter per bucket"),
    ]:
        L.add(timeseries(title, [summary_target("timeseries", metric=metric)], desc, unit=unit, max_data_points=QUALITY_POINTS), 12, 8)
    L.add(timeseries("MOS p50 by browser", [summary_target("timeseries", metric="mosP50", groupBy="browser")], "", legend="table",
                     max_data_points=QUALITY_POINTS), 12, 8)
    L.add(timeseries("Setup time p95 by connection type", [summary_target("timeseries", metric="setupP95Ms", groupBy="connectionType")],
                     "", unit="ms", legend="table"), 12, 8)
    return dashboard("quality", L.panels, filter_vars(), "Call quality across the fleet: MOS, loss, RTT, jitter, setup time.")


# ---------------------------------------------------------------------------------------------
# Top navigation


NAV = ["overview", "conferences", "issues", "quality"]


def var_names(d):
    return [v["name"] for v in d["templating"]["list"]]


def add_nav(dashboards):
    for key, d in dashboards.items():
        mine = set(var_names(d))
        links = []
        for target in NAV:
            if target == key:
                continue
            theirs = set(var_names(dashboards[target]))
            carried = [v for v in CARRIED if v in mine and v in theirs]
            url = "/d/" + UID[target]
            if carried:
                url += "?" + "&".join("${%s:queryparam}" % v for v in carried)
            links.append({
                "title": TITLE[target].split(" / ")[1],
                "type": "link",
                "url": url,
                "icon": "dashboard",
                "keepTime": True,
                "includeVars": False,
                "targetBlank": False,
                "asDropdown": False,
                "tags": [],
                "tooltip": "Same time range" + (" and filters" if carried else ""),
            })
        d["links"] = links


def main():
    dashboards = {
        "overview": overview(),
        "conferences": conferences(),
        "conference": conference(),
        "session": session(),
        "connection": connection(),
        "participant": participant(),
        "issues": issues(),
        "quality": quality(),
    }
    add_nav(dashboards)
    os.makedirs(OUT, exist_ok=True)
    for key, d in dashboards.items():
        path = os.path.join(OUT, key + ".json")
        with open(path, "w") as f:
            json.dump(d, f, indent=2)
            f.write("\n")
        print("wrote", os.path.relpath(path), file=sys.stderr)


if __name__ == "__main__":
    main()
