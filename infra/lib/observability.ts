// Seeing inside the shop, as template.yaml's section of that name declares it (compared by
// compare_templates.py): alarms that call a person, the operations dashboard and the saved Logs
// Insights queries. The functions' own metrics (Embedded Metric Format) are in the namespace
// `ServerlessShop/<stack>`; shared/src/metrics.rs holds their catalogue.

import { Fn } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as lambda from "aws-cdk-lib/aws-lambda";
import * as logs from "aws-cdk-lib/aws-logs";
import * as sns from "aws-cdk-lib/aws-sns";
import * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";

export interface ObservedShop {
  alarmTopic: sns.ITopic;
  functionLogs: logs.ILogGroup;
  authorizer: lambda.IFunction;
  /** The queues an order passes through, by the id their age has in the alarm, each with the
   * seconds its deliveries take (receives times visibility) after which it is behind. */
  orderQueues: Record<string, [sqs.IQueue, number]>;
}

// The placeholders are CloudFormation's (Fn::Sub), so both stacks write the same text.
const SHOP_NAMESPACE = "ServerlessShop/${AWS::StackName}";
const API = "${ShopApi}";
/** The stack's name, which CloudFormation puts at the start of every generated name. */
const STACK = "${AWS::StackName}";
const ALARMS = [
  "ApiServerErrorsAlarm",
  "ApiLatencyAlarm",
  "OrderQueuesBehindAlarm",
  "PaymentDeclinesHighAlarm",
  "AuthorizerErrorsAlarm",
];

type Dimensions = Record<string, string>;

/** One metric read by an alarm's expression. */
const stat = (
  id: string,
  namespace: string,
  metricName: string,
  dimensions: Dimensions,
  period: number,
  statistic: string,
) => ({
  id,
  returnData: false,
  metricStat: {
    metric: {
      namespace,
      metricName,
      dimensions: Object.entries(dimensions).map(([name, value]) => ({ name, value })),
    },
    period,
    stat: statistic,
  },
});

/** The expression an alarm watches. */
const watch = (id: string, label: string, expression: string) => ({ id, label, expression, returnData: true });

export function observe(scope: Construct, shop: ObservedShop): void {
  const namespace = Fn.sub(SHOP_NAMESPACE);
  const apiId = { ApiId: Fn.ref("ShopApi") };
  const alarm = (
    id: string,
    description: string,
    threshold: number,
    periods: [number, number],
    what: Partial<cloudwatch.CfnAlarmProps>,
  ) =>
    new cloudwatch.CfnAlarm(scope, id, {
      alarmDescription: description,
      ...what,
      evaluationPeriods: periods[1],
      datapointsToAlarm: periods[0],
      threshold,
      comparisonOperator: "GreaterThanThreshold",
      treatMissingData: "notBreaching",
      alarmActions: [shop.alarmTopic.topicArn],
    }).overrideLogicalId(id);

  alarm(
    "ApiServerErrorsAlarm",
    "API requests are answered 5xx - run the <stack>/errors-by-route query and read the failing function's logs",
    1,
    [3, 5],
    {
      metrics: [
        watch(
          "rate",
          "5xx per 100 requests",
          "IF(FILL(requests, 0) >= 20, 100 * FILL(errors, 0) / requests, IF(FILL(errors, 0) >= 5, 100, 0))",
        ),
        stat("errors", "AWS/ApiGateway", "5xx", apiId, 60, "Sum"),
        stat("requests", "AWS/ApiGateway", "Count", apiId, 60, "Sum"),
      ],
    },
  );
  alarm(
    "ApiLatencyAlarm",
    "The API's p99 latency is over 2 s - see the dashboard's function durations and the <stack>/cold-and-warm query",
    2000,
    [3, 5],
    {
      namespace: "AWS/ApiGateway",
      metricName: "Latency",
      dimensions: [{ name: "ApiId", value: Fn.ref("ShopApi") }],
      extendedStatistic: "p99",
      period: 60,
    },
  );
  const queues = Object.entries(shop.orderQueues);
  alarm(
    "OrderQueuesBehindAlarm",
    "A message has waited in an order queue longer than its deliveries take - read its consumer's logs; check its concurrency and throttles",
    1,
    [3, 3],
    {
      metrics: [
        watch(
          "behind",
          "oldest message, as a share of its queue's limit",
          `MAX([${queues.map(([id, [, limit]]) => `${id} / ${limit}`).join(", ")}])`,
        ),
        ...queues.map(([id, [queue]]) =>
          stat(id, "AWS/SQS", "ApproximateAgeOfOldestMessage", { QueueName: queue.queueName }, 60, "Maximum"),
        ),
      ],
    },
  );
  const approved = "FILL(approved, 0)";
  const declined = "FILL(declined, 0)";
  alarm(
    "PaymentDeclinesHighAlarm",
    "Over 25% of payments declined - see the dashboard's decline reasons; check the card form and the bank",
    25,
    [2, 3],
    {
      metrics: [
        watch(
          "declined_share",
          "declined per 100 payments",
          `IF(${approved} + ${declined} >= 20, 100 * ${declined} / (${approved} + ${declined}), 0)`,
        ),
        stat("approved", namespace, "PaymentsApproved", { Service: "payments" }, 300, "Sum"),
        stat("declined", namespace, "PaymentsDeclined", { Service: "payments" }, 300, "Sum"),
      ],
    },
  );
  alarm(
    "AuthorizerErrorsAlarm",
    "The authorizer failed or could not check sessions in 2 of 3 minutes - customers appear signed out; read user-authorizer's logs",
    0,
    [2, 3],
    {
      metrics: [
        watch("failures", "authorizer errors and unchecked sessions", "FILL(crashed, 0) + FILL(unchecked, 0)"),
        stat("crashed", "AWS/Lambda", "Errors", { FunctionName: shop.authorizer.functionName }, 60, "Sum"),
        stat("unchecked", namespace, "AuthorizerFailures", { Service: "users" }, 60, "Sum"),
      ],
    },
  );

  new cloudwatch.CfnDashboard(scope, "OperationsDashboard", {
    dashboardBody: Fn.sub(JSON.stringify({ widgets: widgets() })),
  }).overrideLogicalId("OperationsDashboard");

  const streamFunction = String.raw`| parse @logStream /^\d+\/\d+\/\d+\/(?<function>[^\[]+)\[/`;
  // By logical id: the name (in a folder named after the stack) and the query's lines.
  const queries: Record<string, [string, string[]]> = {
    ColdAndWarmQuery: [
      "cold-and-warm",
      [
        `filter type = "platform.report"`,
        streamFunction,
        "| fields ispresent(record.metrics.initDurationMs) as cold",
        "| stats count() as invocations, avg(record.metrics.durationMs) as avg_ms, pct(record.metrics.durationMs, 99) as p99_ms, max(record.metrics.maxMemoryUsedMB) as max_mb by function, cold",
        "| sort function, cold",
      ],
    ],
    ErrorsByRouteQuery: [
      "errors-by-route",
      [
        `filter message = "answered with an error"`,
        "| stats count() as errors by route, status, code",
        "| sort errors desc",
      ],
    ],
    OrderJourneyQuery: [
      "order-journey",
      [
        "# Put the order's id (or a journey id) in both places.",
        `filter order_id = "ORDER-ID" or journey = "ORDER-ID"`,
        streamFunction,
        "| fields @timestamp, function, level, message, journey, requestId",
        "| sort @timestamp asc",
      ],
    ],
    FailedMessagesQuery: [
      "failed-messages",
      [
        `filter message = "message failed" or message like /not sent/`,
        streamFunction,
        "| stats count() as failures, latest(error) as last_error by function",
        "| sort failures desc",
      ],
    ],
  };
  for (const [logicalId, [name, lines]] of Object.entries(queries)) {
    new logs.CfnQueryDefinition(scope, logicalId, {
      name: Fn.sub(`${STACK}/${name}`),
      logGroupNames: [shop.functionLogs.logGroupName],
      queryString: lines.join("\n") + "\n",
    }).overrideLogicalId(logicalId);
  }
}

/** A SEARCH over `schema` (a namespace and dimension names) for `terms`. */
const search = (id: string, schema: string, terms: string, statistic: string, period: number) => [
  { id, expression: `SEARCH('{${schema}} ${terms}', '${statistic}', ${period})` },
];
const shopSchema = (...dimensions: string[]) => [`"${SHOP_NAMESPACE}"`, ...dimensions].join(",");
const apiMetric = (name: string, statistic: string, label: string) => [
  "AWS/ApiGateway",
  name,
  "ApiId",
  API,
  { stat: statistic, period: 60, label },
];
const shopMetric = (name: string, service: string, label: string) => [
  SHOP_NAMESPACE,
  name,
  "Service",
  service,
  { stat: "Sum", period: 300, label },
];

/** The dashboard's widgets, two to a row. */
function widgets(): object[] {
  const graphs: [string, boolean, unknown[]][] = [
    [
      "API requests and errors (per minute)",
      false,
      [apiMetric("Count", "Sum", "requests"), apiMetric("4xx", "Sum", "4xx"), apiMetric("5xx", "Sum", "5xx")],
    ],
    ["API latency (ms)", false, [apiMetric("Latency", "p50", "p50"), apiMetric("Latency", "p99", "p99")]],
    [
      "Errors by route and code (per 5 minutes)",
      true,
      [search("errors", shopSchema("Route", "Code"), 'MetricName="Errors"', "Sum", 300)],
    ],
    [
      "Function duration p99 (ms)",
      false,
      [search("duration", "AWS/Lambda,FunctionName", `MetricName="Duration" ${STACK}`, "p99", 60)],
    ],
    [
      "Cold starts (per 5 minutes)",
      true,
      [search("cold", shopSchema("Function"), 'MetricName="ColdStart"', "Sum", 300)],
    ],
    [
      "Function errors and throttles (per minute)",
      true,
      [
        search("failed", "AWS/Lambda,FunctionName", `MetricName="Errors" ${STACK}`, "Sum", 60),
        search("throttled", "AWS/Lambda,FunctionName", `MetricName="Throttles" ${STACK}`, "Sum", 60),
      ],
    ],
    [
      "Oldest message per queue (s)",
      false,
      [search("age", "AWS/SQS,QueueName", `MetricName="ApproximateAgeOfOldestMessage" ${STACK}`, "Maximum", 60)],
    ],
    [
      "Dead letters waiting",
      true,
      [
        search(
          "dead",
          "AWS/SQS,QueueName",
          `MetricName="ApproximateNumberOfMessagesVisible" ${STACK} DeadLetter`,
          "Maximum",
          300,
        ),
      ],
    ],
    [
      "Checkouts and payments (per 5 minutes)",
      false,
      [
        shopMetric("CheckoutsStarted", "orders", "checkouts"),
        shopMetric("PaymentsApproved", "payments", "approved"),
        shopMetric("PaymentsDeclined", "payments", "declined"),
        shopMetric("Registrations", "users", "registrations"),
      ],
    ],
    [
      "Revenue by currency (minor units per hour)",
      false,
      [search("revenue", shopSchema("Service", "Currency"), 'MetricName="Revenue"', "Sum", 3600)],
    ],
    [
      "Declines by reason, refused log-ins by reason (per 5 minutes)",
      true,
      [
        search("declines", shopSchema("Service", "Reason"), 'MetricName="PaymentsDeclined"', "Sum", 300),
        search("refusals", shopSchema("Service", "Reason"), 'MetricName="LoginsRefused"', "Sum", 300),
      ],
    ],
    [
      "Waiting on AWS, p99 by service (ms); e-mails sent",
      false,
      [
        search("waits", shopSchema("Dependency"), 'MetricName="DependencyLatency"', "p99", 60),
        search("emails", shopSchema("Function"), 'MetricName="EmailsSent"', "Sum", 300),
      ],
    ],
    [
      "Function invocations (per minute; a route is a function)",
      true,
      [search("calls", "AWS/Lambda,FunctionName", `MetricName="Invocations" ${STACK}`, "Sum", 60)],
    ],
    [
      "Function duration p50 (ms)",
      false,
      [search("median", "AWS/Lambda,FunctionName", `MetricName="Duration" ${STACK}`, "p50", 60)],
    ],
    [
      "Failed messages, DynamoDB throttles, sessions not checked (per 5 minutes)",
      true,
      [
        search("unsent", shopSchema("Function"), 'MetricName="MessagesFailed"', "Sum", 300),
        search("throttles", shopSchema("Function"), 'MetricName="DynamoDbThrottled"', "Sum", 300),
        shopMetric("AuthorizerFailures", "users", "sessions not checked"),
      ],
    ],
  ];
  const placed: object[] = graphs.map(([title, stacked, metrics], index) => ({
    type: "metric",
    x: (index % 2) * 12,
    y: Math.floor(index / 2) * 6,
    width: 12,
    height: 6,
    properties: { title, region: "${AWS::Region}", view: "timeSeries", stacked, metrics },
  }));
  placed.push({
    type: "alarm",
    x: 0,
    y: Math.ceil(graphs.length / 2) * 6,
    width: 24,
    height: 3,
    properties: {
      title: "Alarms on the API, the order queues, payments, sign-in and the outboxes",
      alarms: [...ALARMS, "OutboxFailuresAlarm"].map((id) => `\${${id}.Arn}`),
    },
  });
  return placed;
}
