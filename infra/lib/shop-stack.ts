// The shop's stack in the CDK: the same resources as template.yaml, with the same logical ids,
// so that compare_templates.py can hold the two to each other resource by resource.

import * as path from "node:path";

import {
  Aws,
  CfnCondition,
  CfnOutput,
  CfnParameter,
  CfnResource,
  Duration,
  Fn,
  RemovalPolicy,
  Stack,
  StackProps,
  Tags,
  Validations,
} from "aws-cdk-lib";
import { CfnStage, HttpApi, HttpMethod, HttpNoneAuthorizer } from "aws-cdk-lib/aws-apigatewayv2";
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from "aws-cdk-lib/aws-apigatewayv2-authorizers";
import { HttpLambdaIntegration } from "aws-cdk-lib/aws-apigatewayv2-integrations";
import * as cloudfront from "aws-cdk-lib/aws-cloudfront";
import * as origins from "aws-cdk-lib/aws-cloudfront-origins";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as actions from "aws-cdk-lib/aws-cloudwatch-actions";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as iam from "aws-cdk-lib/aws-iam";
import * as kms from "aws-cdk-lib/aws-kms";
import * as lambda from "aws-cdk-lib/aws-lambda";
import { DynamoEventSource, SqsDlq, SqsEventSource } from "aws-cdk-lib/aws-lambda-event-sources";
import * as logs from "aws-cdk-lib/aws-logs";
import * as s3 from "aws-cdk-lib/aws-s3";
import * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import * as sns from "aws-cdk-lib/aws-sns";
import * as sqs from "aws-cdk-lib/aws-sqs";
import { RustFunction } from "cargo-lambda-cdk";
import { Construct } from "constructs";

import { observe } from "./observability";

/** The Cargo workspace, whose binaries are the functions. */
const WORKSPACE = path.join(__dirname, "..", "..", "Cargo.toml");

/** Gives a construct's CloudFormation resource the logical id template.yaml uses. */
function named<T extends Construct>(construct: T, logicalId: string): T {
  (construct.node.defaultChild as CfnResource).overrideLogicalId(logicalId);
  return construct;
}

/**
 * Records, on the resource, why a linter's rule does not apply (checkov and cfn-lint read these):
 * the same reasons template.yaml gives.
 */
function suppress(construct: Construct, checkov: [string, string][], cfnLint: [string, string][] = []): void {
  const resource = construct.node.defaultChild as CfnResource;
  if (checkov.length > 0) {
    resource.addMetadata("checkov", { skip: checkov.map(([id, comment]) => ({ id, comment })) });
  }
  if (cfnLint.length > 0) {
    resource.addMetadata("cfn-lint", {
      config: { ignore_checks: cfnLint.map(([id]) => id) },
      reasons: Object.fromEntries(cfnLint),
    });
  }
}

const CUSTOMER_KEY = "Encrypted at rest with the AWS-managed key; a customer key costs $1 a month.";

/** The values ReservedConcurrency may take: 0 (none), or at least 2, the smallest cap an SQS trigger's MaximumConcurrency accepts. */
const RESERVED_CONCURRENCY_VALUES = ["0", "2", "5", "10", "20", "50", "100", "200", "500", "1000"];

/**
 * The storefront's security headers, on every response (storefront and API): a content security
 * policy that allows no inline script or style, no framing, no MIME sniffing, HSTS. The local
 * gateway reads the same values from template.yaml.
 */
const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' https:; connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; require-trusted-types-for 'script'";

/** A table keyed by `pk`, on demand, with point-in-time recovery and AWS-managed encryption. */
function table(scope: Construct, id: string, props: Partial<dynamodb.TableProps> = {}): dynamodb.Table {
  const made = new dynamodb.Table(scope, id, {
    partitionKey: { name: "pk", type: dynamodb.AttributeType.STRING },
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    encryption: dynamodb.TableEncryption.AWS_MANAGED,
    removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    ...props,
  });
  suppress(made, [["CKV_AWS_119", CUSTOMER_KEY]]);
  return named(made, id);
}

export class ShopStack extends Stack {
  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    // As in template.yaml: every function logs to FunctionLogs, which serverless rule WS1004
    // (one /aws/lambda/<function> log group each) does not know; only the functions an order
    // passes through record X-Ray traces, which WS1000 (Active everywhere) does not allow for.
    this.templateOptions.metadata = { "cfn-lint": { config: { ignore_checks: ["WS1004", "WS1000"] } } };
    // Names CloudFront requires unique in the account, whatever the region: the stack's id ends
    // in a UUID of its own.
    const stackUuid = Fn.select(2, Fn.split("/", Aws.STACK_ID));

    const reservedConcurrency = new CfnParameter(this, "ReservedConcurrency", {
      type: "Number",
      default: "0",
      allowedValues: RESERVED_CONCURRENCY_VALUES,
      description:
        "Instances reserved for (and the cap of) each function; 0 reserves none, which deploys on any account. In production, 10 or more once the account's concurrency quota allows it (Lambda keeps 100 unreserved).",
    });
    const alarmEmail = new CfnParameter(this, "AlarmEmail", {
      type: "String",
      default: "",
      description: "Where alarms are e-mailed; empty for none.",
    });
    const senderEmail = new CfnParameter(this, "SenderEmail", {
      type: "String",
      default: "receipts@shop.example",
      description: "The address receipts are sent from (verified in SES).",
    });
    // As in template.yaml: a fresh deploy's API is throttled to bound a flood's bill; a shop
    // open for a sale sets what SCALING.md works out.
    const apiRateLimit = new CfnParameter(this, "ApiRateLimit", {
      type: "Number",
      default: 100,
      minValue: 1,
      maxValue: 100000,
      description:
        "Requests a second each API route takes, steadily (the stage's default route throttle); the account's own quota (10,000 by default, shared by every API) applies as well.",
    });
    const apiBurstLimit = new CfnParameter(this, "ApiBurstLimit", {
      type: "Number",
      default: 200,
      minValue: 1,
      maxValue: 100000,
      description:
        "Requests each API route takes at once beyond its steady rate (the token bucket's size); the account's burst is 5,000 unless AWS sets it higher with a raised rate quota.",
    });
    // A request authorised just before an account is deleted may still be writing (API Gateway
    // gives it 30 seconds at most): each service erases a minute later, after it.
    const erasureDelay = new CfnParameter(this, "ErasureDelay", {
      type: "Number",
      default: 60,
      minValue: 0,
      maxValue: 900,
      description:
        "Seconds between deleting an account and each service erasing its copy of the person's data (the erasure queues' DelaySeconds).",
    });
    // The SQS triggers' MaximumConcurrency follows ReservedConcurrency only when it is not 0.
    Validations.of(this).acknowledge({
      id: "CloudFormation-Validate::W1030",
      reason: "MaximumConcurrency takes ReservedConcurrency only under CapConcurrency, which excludes 0",
    });
    const capConcurrency = new CfnCondition(this, "CapConcurrency", {
      expression: Fn.conditionNot(Fn.conditionEquals(reservedConcurrency.valueAsNumber, 0)),
    });
    const emailAlarms = new CfnCondition(this, "EmailAlarms", {
      expression: Fn.conditionNot(Fn.conditionEquals(alarmEmail.valueAsString, "")),
    });

    // -------------------------------------------------------------------------------------------
    // Functions: each a binary of the workspace, arm64, traced, with logs that expire (one log
    // group for all of them; Lambda names each stream after its function).
    // -------------------------------------------------------------------------------------------
    const functionLogs = named(
      new logs.LogGroup(this, "FunctionLogs", {
        logGroupName: `/shop/${Aws.STACK_NAME}/functions`,
        retention: logs.RetentionDays.ONE_MONTH,
        removalPolicy: RemovalPolicy.DESTROY,
      }),
      "FunctionLogs",
    );
    suppress(functionLogs, [["CKV_AWS_158", CUSTOMER_KEY]]);
    const rust = (
      logicalId: string,
      binary: string,
      options: {
        description: string;
        memorySize?: number;
        timeout?: number;
        environment: Record<string, string>;
        /** X-Ray Active: one of the functions an order passes through (template.yaml, Globals). */
        traced?: boolean;
      },
    ): lambda.Function => {
      const fn = new RustFunction(this, logicalId, {
        manifestPath: WORKSPACE,
        binaryName: binary,
        architecture: lambda.Architecture.ARM_64,
        memorySize: options.memorySize ?? 128,
        timeout: Duration.seconds(options.timeout ?? 10),
        description: options.description,
        // As template.yaml's Globals: the metrics' namespace, one per stack.
        environment: { METRICS_NAMESPACE: `ServerlessShop/${Aws.STACK_NAME}`, ...options.environment },
        tracing: options.traced ? lambda.Tracing.ACTIVE : lambda.Tracing.PASS_THROUGH,
        loggingFormat: lambda.LoggingFormat.JSON,
        logGroup: functionLogs,
      });
      // checkov's rules that no function meets, and why, are in .checkov.yaml.
      suppress(fn, [], [["W3005", "the CDK declares the role dependency explicitly as well as through GetAtt"]]);
      // Which binary it runs, for compare_templates.py (the code itself is an asset hash).
      Tags.of(fn).add("shop:binary", binary);
      const cfn = fn.node.defaultChild as lambda.CfnFunction;
      cfn.overrideLogicalId(logicalId);
      cfn.addPropertyOverride(
        "ReservedConcurrentExecutions",
        Fn.conditionIf(capConcurrency.logicalId, reservedConcurrency.valueAsNumber, Aws.NO_VALUE),
      );
      return fn;
    };
    const allow = (fn: lambda.IFunction, actionsList: string[], resources: string[]) =>
      fn.addToRolePolicy(new iam.PolicyStatement({ actions: actionsList, resources }));

    // -------------------------------------------------------------------------------------------
    // Tables and the token secret.
    // -------------------------------------------------------------------------------------------
    // The outbox's relay reads its stream (UserRelayFunction), filtered to outbox items.
    const usersTable = table(this, "UsersTable", {
      timeToLiveAttribute: "expires_at",
      stream: dynamodb.StreamViewType.KEYS_ONLY,
    });
    // The accounts of an address, for a password reset asked for by address (the sender reads each).
    usersTable.addGlobalSecondaryIndex({
      indexName: "ByEmail",
      partitionKey: { name: "email", type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.KEYS_ONLY,
    });
    // The admin listing, a partition per first character of the username: ByKind before it,
    // under one value, took every registration.
    usersTable.addGlobalSecondaryIndex({
      indexName: "ByInitial",
      partitionKey: { name: "initial", type: dynamodb.AttributeType.STRING },
      sortKey: { name: "username", type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.INCLUDE,
      nonKeyAttributes: ["email", "first_name", "last_name", "role", "created_at"],
    });
    // The search service's indexer reads its stream (SearchIndexFunction): items as they are now.
    const productsTable = table(this, "ProductsTable", { stream: dynamodb.StreamViewType.NEW_IMAGE });
    productsTable.addGlobalSecondaryIndex({
      indexName: "Catalog",
      partitionKey: { name: "kind", type: dynamodb.AttributeType.STRING },
      sortKey: { name: "slug", type: dynamodb.AttributeType.STRING },
    });
    // The outbox's relay reads its stream (OrderRelayFunction): new items only, no old images.
    const ordersTable = table(this, "OrdersTable", { stream: dynamodb.StreamViewType.NEW_IMAGE });
    ordersTable.addGlobalSecondaryIndex({
      indexName: "ByOwner",
      partitionKey: { name: "owner", type: dynamodb.AttributeType.STRING },
      sortKey: { name: "created_at", type: dynamodb.AttributeType.STRING },
    });
    // As in template.yaml: orders by status, each status over 100 shards, keys only.
    ordersTable.addGlobalSecondaryIndex({
      indexName: "ByStatusShard",
      partitionKey: { name: "status_shard", type: dynamodb.AttributeType.STRING },
      sortKey: { name: "status_sort", type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.KEYS_ONLY,
    });
    const paymentsTable = table(this, "PaymentsTable");
    // As in template.yaml: the only place a card number rests, without backups, gone with the stack.
    const cardsTable = table(this, "CardsTable", {
      timeToLiveAttribute: "expires_at",
      pointInTimeRecoverySpecification: undefined,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    suppress(cardsTable, [
      ["CKV_AWS_119", CUSTOMER_KEY],
      ["CKV_AWS_28", "No backups on purpose; an erased card must not live on in them."],
    ]);
    const receiptsTable = table(this, "ReceiptsTable");
    // The reports service's read model of sales (counters per day and currency, and a marker per
    // event counted); it holds no personal data.
    // A month's counters in one currency are one item collection: each day's totals, in shards,
    // and each product's sales that day are its items.
    const reportsTable = table(this, "ReportsTable", {
      sortKey: { name: "sk", type: dynamodb.AttributeType.STRING },
    });

    const tokenSecret = named(
      new secretsmanager.Secret(this, "TokenSecret", {
        description: "Signs and verifies the users service's session tokens (HS256).",
        generateSecretString: { passwordLength: 64, excludePunctuation: true },
        // Deleting it would log everyone out; the CDK's default for a secret is to destroy it.
        removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
      }),
      "TokenSecret",
    );
    suppress(tokenSecret, [["CKV_AWS_149", CUSTOMER_KEY]]);
    // CloudFront sends it to the API with every request; the log-in function believes the
    // viewer's address CloudFront passes on only when it comes with this.
    const edgeKey = named(
      new secretsmanager.Secret(this, "EdgeKeySecret", {
        description: "Proves to the log-in function that a request came through the storefront's CloudFront.",
        generateSecretString: { passwordLength: 48, excludePunctuation: true },
        removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
      }),
      "EdgeKeySecret",
    );
    suppress(edgeKey, [["CKV_AWS_149", CUSTOMER_KEY]]);
    // Makes pseudonyms (HMACs) of usernames and addresses, which key what the users table must
    // find by a name without holding it: a deleted account's tombstone, the daily counts of
    // e-mails to an address. Never rotated: a new key forgets every tombstone.
    const pseudonymKey = named(
      new secretsmanager.Secret(this, "PseudonymKeySecret", {
        description:
          "Makes the pseudonyms that key deleted accounts' tombstones and the counts of e-mails to an address.",
        generateSecretString: { passwordLength: 48, excludePunctuation: true },
        removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
      }),
      "PseudonymKeySecret",
    );
    suppress(pseudonymKey, [["CKV_AWS_149", CUSTOMER_KEY]]);

    // -------------------------------------------------------------------------------------------
    // Queues, their dead-letter queues, and alarms on those.
    // -------------------------------------------------------------------------------------------
    // A key of our own: the AWS-managed alias/aws/sns key's policy cannot let CloudWatch
    // publish, so no alarm would ever arrive.
    const alarmKey = named(
      new kms.Key(this, "AlarmTopicKey", {
        description: "Encrypts the alarm topic; CloudWatch may use it to publish alarms.",
        enableKeyRotation: true,
        removalPolicy: RemovalPolicy.DESTROY,
        pendingWindow: Duration.days(7),
      }),
      "AlarmTopicKey",
    );
    alarmKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: "CloudWatchPublishesAlarms",
        principals: [new iam.ServicePrincipal("cloudwatch.amazonaws.com")],
        actions: ["kms:Decrypt", "kms:GenerateDataKey*"],
        resources: ["*"],
        conditions: {
          StringEquals: { "aws:SourceAccount": this.account },
          ArnLike: { "aws:SourceArn": `arn:${this.partition}:cloudwatch:${this.region}:${this.account}:alarm:*` },
        },
      }),
    );
    const alarmTopic = named(new sns.Topic(this, "AlarmTopic", { masterKey: alarmKey }), "AlarmTopic");
    const subscription = new sns.CfnSubscription(this, "AlarmEmailSubscription", {
      topicArn: alarmTopic.topicArn,
      protocol: "email",
      endpoint: alarmEmail.valueAsString,
    });
    subscription.cfnOptions.condition = emailAlarms;
    subscription.addMetadata("cfn-lint", {
      config: { ignore_checks: ["ES7000"] },
      reasons: { ES7000: "an e-mail subscription; an undelivered alarm still shows in the console" },
    });

    const SQS_MANAGED =
      "Encrypted at rest by SQS-managed keys (SqsManagedSseEnabled), which this check does not recognise.";
    /** An alarm as soon as a message waits in the queue: failures a person has to look at. */
    // An alarm to the alarm topic when `metric` (per minute) stays above `threshold` for
    // `minutes` minutes.
    const alarmWhen = (
      logicalId: string,
      metric: cloudwatch.IMetric,
      description: string,
      threshold = 0,
      minutes = 1,
    ) =>
      named(
        new cloudwatch.Alarm(this, logicalId, {
          alarmDescription: description,
          metric,
          threshold,
          evaluationPeriods: minutes,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
        logicalId,
      ).addAlarmAction(new actions.SnsAction(alarmTopic));
    const perMinute = (statistic: string) => ({ statistic, period: Duration.minutes(1) });
    // High-throughput FIFO, both settings needed (template.yaml, VerificationEmailQueue, says why).
    const highThroughput = {
      deduplicationScope: sqs.DeduplicationScope.MESSAGE_GROUP,
      fifoThroughputLimit: sqs.FifoThroughputLimit.PER_MESSAGE_GROUP_ID,
    };
    // `fix` ends the alarm's description: what a person does about a dead letter.
    const queue = (
      name: string,
      visibility: number,
      what: string,
      {
        retention = Duration.days(4),
        fix = ", fix the cause, then redrive",
        delay = undefined as Duration | undefined,
        receives = 5,
      } = {},
    ): sqs.Queue => {
      const deadLetters = named(
        new sqs.Queue(this, `${name}DeadLetterQueue`, {
          fifo: true,
          ...highThroughput,
          retentionPeriod: Duration.days(14),
          encryption: sqs.QueueEncryption.SQS_MANAGED,
        }),
        `${name}DeadLetterQueue`,
      );
      suppress(
        deadLetters,
        [["CKV_AWS_27", SQS_MANAGED]],
        [["ES6000", "it is itself a dead-letter queue; its alarm tells a person"]],
      );
      alarmWhen(
        `${name}DeadLetterAlarm`,
        deadLetters.metricApproximateNumberOfMessagesVisible(perMinute("Maximum")),
        `${what} - read ${name}DeadLetterQueue${fix}`,
      );
      const work = named(
        new sqs.Queue(this, `${name}Queue`, {
          fifo: true,
          ...highThroughput,
          visibilityTimeout: Duration.seconds(visibility),
          retentionPeriod: retention,
          deliveryDelay: delay,
          encryption: sqs.QueueEncryption.SQS_MANAGED,
          deadLetterQueue: { queue: deadLetters, maxReceiveCount: receives },
        }),
        `${name}Queue`,
      );
      suppress(work, [["CKV_AWS_27", SQS_MANAGED]]);
      return work;
    };
    const checkoutQueue = queue("Checkout", 180, "Checkouts could not be charged");
    const paymentResultsQueue = queue("PaymentResults", 60, "Payment outcomes could not be recorded on orders");
    const receiptsQueue = queue("Receipts", 180, "Receipts could not be e-mailed");
    // The orders service's outbox sends each paid order and each failed payment here (deduplicated
    // by the event's id); six times the consumer's timeout. Counting is idempotent, and in a sales
    // peak a best-selling product's sales wait for each other: twenty deliveries before a person.
    const reportsQueue = queue("Reports", 60, "Sales could not be counted in the reports", { receives: 20 });
    const verificationEmailQueue = queue("VerificationEmail", 180, "Verification e-mails could not be sent");
    // A reset link is wanted now or not at all: a day's backlog is no use to anyone.
    const passwordResetEmailQueue = queue("PasswordResetEmail", 180, "Password reset e-mails could not be sent", {
      retention: Duration.days(1),
      fix: " and fix the cause (customers ask again)",
    });
    const noticeEmailQueue = queue("NoticeEmail", 180, "Account notices could not be sent");
    // FIFO queues delay per queue only.
    // A deleted account's data, a minute after the deletion: one queue per service that erases.
    const erasureQueue = (name: string, what: string) =>
      queue(`${name}Erasure`, 360, what, { delay: Duration.seconds(erasureDelay.valueAsNumber) });
    const userErasureQueue = erasureQueue("User", "A deleted account's data could not be erased from the users table");
    const orderErasureQueue = erasureQueue("Order", "A deleted account's orders could not be erased");
    const paymentErasureQueue = erasureQueue("Payment", "A deleted account's held cards could not be erased");
    const receiptErasureQueue = erasureQueue("Receipt", "A deleted account's receipts could not be erased");
    // Records of the outboxes the relays gave up on (where in which stream, not the messages:
    // those stay in the orders or users table). A standard queue: Lambda's on-failure
    // destinations cannot be FIFO.
    const outboxFailuresQueue = named(
      new sqs.Queue(this, "OutboxFailuresQueue", {
        retentionPeriod: Duration.days(14),
        encryption: sqs.QueueEncryption.SQS_MANAGED,
      }),
      "OutboxFailuresQueue",
    );
    suppress(
      outboxFailuresQueue,
      [["CKV_AWS_27", SQS_MANAGED]],
      [["ES6000", "it is itself where failures go; its alarm tells a person"]],
    );
    // A relay's trigger: its table's outbox items. A message that cannot be sent is retried
    // (Lambda documents no pause between retries, so a count would run out in minutes) until its
    // record is an hour old; then Lambda tells the failures queue, with the relay's role (SqsDlq
    // grants it sqs:SendMessage there), and the item stays in the table (orders: for `xtask
    // outbox-redrive`; users: the customer asks for the e-mail again).
    const outboxTrigger = (source: dynamodb.Table) =>
      new DynamoEventSource(source, {
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        batchSize: 10,
        // Ten batches of a shard at once; Lambda keeps each key's records in order (SCALING.md).
        parallelizationFactor: 10,
        reportBatchItemFailures: true,
        maxRecordAge: Duration.hours(1),
        bisectBatchOnError: true,
        onFailure: new SqsDlq(outboxFailuresQueue),
        filters: [
          lambda.FilterCriteria.filter({
            eventName: lambda.FilterRule.or("INSERT", "MODIFY"),
            dynamodb: { Keys: { pk: { S: lambda.FilterRule.beginsWith("OUTBOX#") } } },
          }),
        ],
      });
    // On every report, not on what waits in the queue: nobody needs to read it (the messages are
    // in the orders or users table), and an alarm on its depth would stay raised and miss the next
    // one.
    alarmWhen(
      "OutboxFailuresAlarm",
      outboxFailuresQueue.metricNumberOfMessagesSent(perMinute("Sum")),
      "Outbox messages could not be sent - read the failure's stream ARN, fix the cause; for orders, run xtask outbox-redrive",
    );

    // -------------------------------------------------------------------------------------------
    // Buckets.
    // -------------------------------------------------------------------------------------------
    const privateBucket = (id: string, lifecycleRules?: s3.LifecycleRule[]) =>
      named(
        new s3.Bucket(this, id, {
          encryption: s3.BucketEncryption.S3_MANAGED,
          blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
          objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
          versioned: true,
          removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
          lifecycleRules,
        }),
        id,
      );
    const receiptsBucket = privateBucket("ReceiptsBucket");
    suppress(receiptsBucket, [
      ["CKV_AWS_18", "Receipts are read only through the API, whose access log records every download."],
    ]);
    // Every change writes a new search snapshot (a few megabytes); the ones it replaced go after a day.
    const searchBucket = privateBucket("SearchBucket", [
      {
        id: "ExpireReplacedSnapshots",
        noncurrentVersionExpiration: Duration.days(1),
        abortIncompleteMultipartUploadAfter: Duration.days(1),
      },
    ]);
    suppress(searchBucket, [
      ["CKV_AWS_18", "Only the search functions read or write it; their logs record each write."],
    ]);
    const storefrontBucket = privateBucket("StorefrontBucket");
    suppress(storefrontBucket, [
      ["CKV_AWS_18", "Served only through CloudFront; S3 access logs would cost more than the site."],
    ]);

    // -------------------------------------------------------------------------------------------
    // Users service.
    // -------------------------------------------------------------------------------------------
    const usersEnv = { USERS_TABLE: usersTable.tableName };
    const userCreate = rust("UserCreateFunction", "user-create", {
      description: "POST /api/user/create - register a customer account",
      memorySize: 1024,
      environment: { ...usersEnv, PSEUDONYM_KEY_SECRET_ARN: pseudonymKey.secretArn },
    });
    // The user and their confirmation e-mail, on condition that no recently deleted account's
    // tombstone holds the name (a ConditionCheck), in one transaction.
    allow(userCreate, ["dynamodb:PutItem", "dynamodb:ConditionCheckItem"], [usersTable.tableArn]);
    allow(userCreate, ["secretsmanager:GetSecretValue"], [pseudonymKey.secretArn]);
    const userLogin = rust("UserLoginFunction", "user-login", {
      description: "POST /api/user/login - exchange a password for a session token",
      memorySize: 1024,
      environment: { ...usersEnv, TOKEN_SECRET_ARN: tokenSecret.secretArn, EDGE_KEY_SECRET_ARN: edgeKey.secretArn },
    });
    allow(
      userLogin,
      ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
      [usersTable.tableArn],
    );
    allow(userLogin, ["secretsmanager:GetSecretValue"], [tokenSecret.secretArn, edgeKey.secretArn]);
    const userLogout = rust("UserLogoutFunction", "user-logout", {
      description: "POST /api/user/logout - end the caller's session",
      environment: usersEnv,
    });
    allow(userLogout, ["dynamodb:DeleteItem"], [usersTable.tableArn]);
    const userLogoutEverywhere = rust("UserLogoutEverywhereFunction", "user-logout-everywhere", {
      description: "POST /api/user/logout-everywhere - end every session of the caller's account",
      environment: usersEnv,
    });
    allow(userLogoutEverywhere, ["dynamodb:UpdateItem"], [usersTable.tableArn]);
    const userPasswordChange = rust("UserPasswordChangeFunction", "user-password-change", {
      description: "POST /api/user/password - change the caller's password, ending other sessions",
      memorySize: 1024,
      environment: { ...usersEnv, TOKEN_SECRET_ARN: tokenSecret.secretArn, EDGE_KEY_SECRET_ARN: edgeKey.secretArn },
    });
    allow(
      userPasswordChange,
      ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
      [usersTable.tableArn],
    );
    allow(userPasswordChange, ["secretsmanager:GetSecretValue"], [tokenSecret.secretArn, edgeKey.secretArn]);
    const userSessionRefresh = rust("UserSessionRefreshFunction", "user-session-refresh", {
      description: "POST /api/user/session/refresh - a new access token for the refresh cookie",
      environment: { ...usersEnv, TOKEN_SECRET_ARN: tokenSecret.secretArn },
    });
    allow(
      userSessionRefresh,
      ["dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:ConditionCheckItem", "dynamodb:DeleteItem"],
      [usersTable.tableArn],
    );
    allow(userSessionRefresh, ["secretsmanager:GetSecretValue"], [tokenSecret.secretArn]);
    const userExists = rust("UserExistsFunction", "user-exists", {
      description: "GET /api/user/{username}/exists - whether a username is taken",
      environment: { ...usersEnv, PSEUDONYM_KEY_SECRET_ARN: pseudonymKey.secretArn },
    });
    // The user, and a deleted account's tombstone.
    allow(userExists, ["dynamodb:GetItem"], [usersTable.tableArn]);
    allow(userExists, ["secretsmanager:GetSecretValue"], [pseudonymKey.secretArn]);
    const userCurrent = rust("UserCurrentFunction", "user-current", {
      description: "GET /api/user - the caller's own account",
      environment: usersEnv,
    });
    allow(userCurrent, ["dynamodb:GetItem"], [usersTable.tableArn]);
    const userList = rust("UserListFunction", "user-list", {
      description: "GET /api/users - every account, for administrators",
      environment: usersEnv,
    });
    allow(userList, ["dynamodb:Query"], [`${usersTable.tableArn}/index/ByInitial`]);
    const authorizerFn = rust("UserAuthorizerFunction", "user-authorizer", {
      description: "The HTTP API's Lambda authorizer - verifies tokens and live sessions",
      environment: { ...usersEnv, TOKEN_SECRET_ARN: tokenSecret.secretArn },
    });
    allow(authorizerFn, ["dynamodb:GetItem"], [usersTable.tableArn]);
    allow(authorizerFn, ["secretsmanager:GetSecretValue"], [tokenSecret.secretArn]);
    const userVerify = rust("UserVerifyFunction", "user-verify", {
      description: "POST /api/user/verify - confirm an e-mail address with its link's token",
      environment: usersEnv,
    });
    // Reads the token's record; deletes it and marks the user verified, in one transaction
    // (whose writes are checked as DeleteItem and UpdateItem).
    allow(userVerify, ["dynamodb:GetItem", "dynamodb:DeleteItem", "dynamodb:UpdateItem"], [usersTable.tableArn]);
    const userVerifyResend = rust("UserVerifyResendFunction", "user-verify-resend", {
      description: "POST /api/user/verify/resend - e-mail the caller a new confirmation link",
      environment: usersEnv,
    });
    // Reads the user and their recent requests; writes the request's count and its outbox
    // message in one transaction.
    allow(userVerifyResend, ["dynamodb:GetItem", "dynamodb:PutItem"], [usersTable.tableArn]);
    const userEmailChange = rust("UserEmailChangeFunction", "user-email-change", {
      description: "POST /api/user/email - ask to change the caller's address (the owner confirms it from the new one)",
      memorySize: 1024,
      environment: { ...usersEnv, EDGE_KEY_SECRET_ARN: edgeKey.secretArn },
    });
    // The user and counting wrong passwords as log-in does; the new address, the request's
    // count and its outbox message in one transaction.
    allow(
      userEmailChange,
      ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
      [usersTable.tableArn],
    );
    allow(userEmailChange, ["secretsmanager:GetSecretValue"], [edgeKey.secretArn]);
    const userEmailConfirm = rust("UserEmailConfirmFunction", "user-email-confirm", {
      description: "POST /api/user/email/confirm - the signed-in owner makes the address asked for the account's",
      environment: usersEnv,
    });
    // Reads the link's record and the user; deletes the link, sets the address and writes the
    // notice to the former one, in one transaction.
    allow(
      userEmailConfirm,
      ["dynamodb:GetItem", "dynamodb:DeleteItem", "dynamodb:UpdateItem", "dynamodb:PutItem"],
      [usersTable.tableArn],
    );
    const userDelete = rust("UserDeleteFunction", "user-delete", {
      description: "DELETE /api/user - delete the caller's account; every service erases its copy of their data",
      memorySize: 1024,
      environment: {
        ...usersEnv,
        EDGE_KEY_SECRET_ARN: edgeKey.secretArn,
        PSEUDONYM_KEY_SECRET_ARN: pseudonymKey.secretArn,
      },
    });
    // The user and counting wrong passwords as log-in does; deleting the user with its tombstone
    // and the outbox's erasure message in one transaction.
    allow(
      userDelete,
      ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
      [usersTable.tableArn],
    );
    allow(userDelete, ["secretsmanager:GetSecretValue"], [edgeKey.secretArn, pseudonymKey.secretArn]);
    // The users service's outbox: e-mails decided with a change to the users table (OUTBOX#
    // items) go to their queue, then leave the table.
    const userRelay = rust("UserRelayFunction", "user-relay", {
      description: "Sends the users outbox's messages (the users table's stream) to their queues",
      environment: {
        ...usersEnv,
        VERIFICATION_EMAIL_QUEUE_URL: verificationEmailQueue.queueUrl,
        PASSWORD_RESET_EMAIL_QUEUE_URL: passwordResetEmailQueue.queueUrl,
        NOTICE_EMAIL_QUEUE_URL: noticeEmailQueue.queueUrl,
        USER_ERASURE_QUEUE_URL: userErasureQueue.queueUrl,
        ORDER_ERASURE_QUEUE_URL: orderErasureQueue.queueUrl,
        PAYMENT_ERASURE_QUEUE_URL: paymentErasureQueue.queueUrl,
      },
    });
    // Reads the item a record names (gone: it was sent), deletes it once sent.
    allow(userRelay, ["dynamodb:GetItem", "dynamodb:DeleteItem"], [usersTable.tableArn]);
    allow(
      userRelay,
      ["sqs:SendMessage"],
      [
        verificationEmailQueue.queueArn,
        passwordResetEmailQueue.queueArn,
        noticeEmailQueue.queueArn,
        userErasureQueue.queueArn,
        orderErasureQueue.queueArn,
        paymentErasureQueue.queueArn,
      ],
    );
    userRelay.addEventSource(outboxTrigger(usersTable));
    // A users e-mail sender, from `queue`: reads the account; claims, records and releases each
    // e-mail (MAIL#), counts an address's e-mails (ASKED#) and keeps links' hashes (VERIFY#,
    // CHANGE#, RESET#); sends through SES as the shop's sender only. Its STOREFRONT_DOMAIN is set
    // with the distribution, below.
    const userMailer = (logicalId: string, binary: string, description: string, from: sqs.Queue) => {
      const sender = rust(logicalId, binary, {
        description,
        timeout: 30,
        environment: {
          ...usersEnv,
          SENDER_EMAIL: senderEmail.valueAsString,
          PSEUDONYM_KEY_SECRET_ARN: pseudonymKey.secretArn,
        },
      });
      allow(
        sender,
        ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
        [usersTable.tableArn],
      );
      // The key that names the counts of e-mails to an address, read at start-up.
      allow(sender, ["secretsmanager:GetSecretValue"], [pseudonymKey.secretArn]);
      sender.addToRolePolicy(
        new iam.PolicyStatement({
          // A raw MIME message (text and HTML): SES v2 documents ses:SendEmail, and has been seen
          // to check ses:SendRawEmail for raw content.
          actions: ["ses:SendEmail", "ses:SendRawEmail"],
          resources: [`arn:${this.partition}:ses:${this.region}:${this.account}:identity/*`],
          conditions: { StringEquals: { "ses:FromAddress": senderEmail.valueAsString } },
        }),
      );
      sender.addEventSource(new SqsEventSource(from, { batchSize: 5, reportBatchItemFailures: true }));
      return sender;
    };
    const userVerificationEmail = userMailer(
      "UserVerificationEmailFunction",
      "user-verification-email",
      "E-mails the link that confirms an address, once per request, from its queue",
      verificationEmailQueue,
    );
    const userPasswordReset = rust("UserPasswordResetFunction", "user-password-reset", {
      description: "POST /api/user/password-reset - e-mail a link that sets a new password",
      environment: { ...usersEnv, EDGE_KEY_SECRET_ARN: edgeKey.secretArn },
    });
    // Reads the client's recent requests; writes their count and the request's outbox message in
    // one transaction.
    allow(userPasswordReset, ["dynamodb:GetItem", "dynamodb:PutItem"], [usersTable.tableArn]);
    // CloudFront's key, read at start-up (requests are counted per viewer address).
    allow(userPasswordReset, ["secretsmanager:GetSecretValue"], [edgeKey.secretArn]);
    const userPasswordResetConfirm = rust("UserPasswordResetConfirmFunction", "user-password-reset-confirm", {
      description: "POST /api/user/password-reset/confirm - set a new password with a reset link's token",
      memorySize: 1024,
      environment: usersEnv,
    });
    // Reads the link's record; deletes it, sets the user's new hash and writes the notice to the
    // outbox, in one transaction.
    allow(
      userPasswordResetConfirm,
      ["dynamodb:GetItem", "dynamodb:DeleteItem", "dynamodb:UpdateItem", "dynamodb:PutItem"],
      [usersTable.tableArn],
    );

    const userPasswordResetEmail = userMailer(
      "UserPasswordResetEmailFunction",
      "user-password-reset-email",
      "E-mails password reset links, once per request and account, from their queue",
      passwordResetEmailQueue,
    );
    // The accounts of an address.
    allow(userPasswordResetEmail, ["dynamodb:Query"], [`${usersTable.tableArn}/index/ByEmail`]);
    const userNoticeEmail = userMailer(
      "UserNoticeEmailFunction",
      "user-notice-email",
      "E-mails an account's owner what changed (password, address), once per change, from its queue",
      noticeEmailQueue,
    );
    // A deleted account's eraser in one service, fed by `from` (see erasureQueue).
    const eraser = (
      logicalId: string,
      binary: string,
      description: string,
      environment: Record<string, string>,
      from: sqs.Queue,
    ) => {
      const erase = rust(logicalId, binary, { description, timeout: 60, environment });
      erase.addEventSource(new SqsEventSource(from, { batchSize: 5, reportBatchItemFailures: true }));
      return erase;
    };
    const userErase = eraser(
      "UserEraseFunction",
      "user-erase",
      "Erases a deleted account's sessions, links and counts from the users table, from its queue",
      usersEnv,
      userErasureQueue,
    );
    // Finds the items that name the account (sessions are keyed by a random id: only a scan finds
    // them all) and deletes them.
    allow(userErase, ["dynamodb:Scan", "dynamodb:DeleteItem"], [usersTable.tableArn]);

    // -------------------------------------------------------------------------------------------
    // Products service.
    // -------------------------------------------------------------------------------------------
    const productsEnv = { PRODUCTS_TABLE: productsTable.tableName };
    const productList = rust("ProductListFunction", "product-list", {
      description: "GET /api/products - the catalogue, a page at a time",
      environment: productsEnv,
    });
    allow(productList, ["dynamodb:Query"], [`${productsTable.tableArn}/index/Catalog`]);
    const productGet = rust("ProductGetFunction", "product-get", {
      description: "GET /api/product/{id} - one product; the orders service invokes it too",
      environment: productsEnv,
    });
    allow(productGet, ["dynamodb:GetItem"], [productsTable.tableArn]);
    const productCreate = rust("ProductCreateFunction", "product-create", {
      description: "POST /api/product/create - add a product (administrators)",
      environment: productsEnv,
    });
    // One transaction: the product and its category's counter; a read when it is cancelled.
    allow(productCreate, ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:GetItem"], [productsTable.tableArn]);
    const productCategories = rust("ProductCategoriesFunction", "product-categories", {
      description: "GET /api/categories - the categories with products on sale, and their counts",
      environment: productsEnv,
    });
    allow(productCategories, ["dynamodb:Query"], [`${productsTable.tableArn}/index/Catalog`]);
    const productUpdate = rust("ProductUpdateFunction", "product-update", {
      description: "PUT /api/product/{id} - edit a product, on the version the admin saw (administrators)",
      environment: productsEnv,
    });
    const productRetire = rust("ProductRetireFunction", "product-retire", {
      description: "DELETE /api/product/{id} - take a product off sale; it stays readable (administrators)",
      environment: productsEnv,
    });
    // Read, then one transaction: the product (conditional on its version) and the counters.
    for (const fn of [productUpdate, productRetire]) {
      allow(fn, ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"], [productsTable.tableArn]);
    }

    // -------------------------------------------------------------------------------------------
    // Search service: its own indexed copy of the catalogue, one snapshot in its own bucket.
    // -------------------------------------------------------------------------------------------
    const searchEnv = { SEARCH_BUCKET: searchBucket.bucketName };
    const snapshots = `${searchBucket.bucketArn}/catalogue/*`;
    const searchQuery = rust("SearchQueryFunction", "search-query", {
      description: "GET /api/search - products ranked by relevance, filtered, sorted, with facets",
      memorySize: 512,
      environment: searchEnv,
    });
    allow(searchQuery, ["s3:GetObject"], [snapshots]);
    // Without it S3 answers 403, not 404, while no snapshot has been written yet.
    allow(searchQuery, ["s3:ListBucket"], [searchBucket.bucketArn]);
    const searchIndex = rust("SearchIndexFunction", "search-index", {
      description: "Applies the products table's stream to the search snapshot and re-indexes it",
      timeout: 60,
      memorySize: 512,
      environment: searchEnv,
    });
    // Reads the snapshot, writes it back on condition it is still the one read.
    allow(searchIndex, ["s3:GetObject", "s3:PutObject"], [snapshots]);
    allow(searchIndex, ["s3:ListBucket"], [searchBucket.bucketArn]);
    const searchIndexFailuresQueue = named(
      new sqs.Queue(this, "SearchIndexFailuresQueue", {
        retentionPeriod: Duration.days(14),
        encryption: sqs.QueueEncryption.SQS_MANAGED,
      }),
      "SearchIndexFailuresQueue",
    );
    suppress(
      searchIndexFailuresQueue,
      [["CKV_AWS_27", SQS_MANAGED]],
      [["ES6000", "it is itself where failures go; its alarm tells a person"]],
    );
    searchIndex.addEventSource(
      new DynamoEventSource(productsTable, {
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        batchSize: 100,
        maxBatchingWindow: Duration.seconds(1),
        reportBatchItemFailures: true,
        // Retried until the record is an hour old (no retry count: CDK's default is -1).
        maxRecordAge: Duration.hours(1),
        bisectBatchOnError: true,
        onFailure: new SqsDlq(searchIndexFailuresQueue),
        filters: [
          lambda.FilterCriteria.filter({ dynamodb: { Keys: { pk: { S: lambda.FilterRule.beginsWith("PRODUCT#") } } } }),
        ],
      }),
    );
    alarmWhen(
      "SearchIndexFailuresAlarm",
      searchIndexFailuresQueue.metricNumberOfMessagesSent(perMinute("Sum")),
      "Product changes could not be indexed for search - fix the cause, then run xtask search-rebuild",
    );
    alarmWhen(
      "SearchIndexIteratorAgeAlarm",
      searchIndex.metric("IteratorAge", perMinute("Maximum")),
      "Search indexing is more than five minutes behind the catalogue - read the search-index logs",
      300_000,
      5,
    );

    // -------------------------------------------------------------------------------------------
    // Orders service.
    // -------------------------------------------------------------------------------------------
    const ordersEnv = { ORDERS_TABLE: ordersTable.tableName };
    const orderAddItem = rust("OrderAddItemFunction", "order-add-item", {
      description: "POST /api/order/add-item - add a product to the caller's open order, starting one",
      environment: { ...ordersEnv, PRODUCT_GET_FUNCTION: productGet.functionName },
    });
    allow(orderAddItem, ["dynamodb:GetItem", "dynamodb:PutItem"], [ordersTable.tableArn]);
    allow(orderAddItem, ["lambda:InvokeFunction"], [productGet.functionArn]);
    const orderUpdateItem = rust("OrderUpdateItemFunction", "order-update-item", {
      description: "POST /api/order/update-item - set a line's quantity; 0 removes it",
      environment: ordersEnv,
    });
    allow(orderUpdateItem, ["dynamodb:GetItem", "dynamodb:PutItem"], [ordersTable.tableArn]);
    const orderCurrent = rust("OrderCurrentFunction", "order-current", {
      description: "GET /api/order - the caller's open order",
      environment: ordersEnv,
    });
    allow(orderCurrent, ["dynamodb:GetItem"], [ordersTable.tableArn]);
    const orderGet = rust("OrderGetFunction", "order-get", {
      description: "GET /api/order/{id} - one order, for its owner; the receipts service invokes it too",
      environment: ordersEnv,
    });
    allow(orderGet, ["dynamodb:GetItem"], [ordersTable.tableArn]);
    const orderList = rust("OrderListFunction", "order-list", {
      description: "GET /api/orders - order history (everyone's, for administrators)",
      environment: ordersEnv,
    });
    allow(
      orderList,
      ["dynamodb:Query"],
      [`${ordersTable.tableArn}/index/ByOwner`, `${ordersTable.tableArn}/index/ByStatusShard`],
    );
    allow(orderList, ["dynamodb:BatchGetItem"], [ordersTable.tableArn]);
    const orderCheckout = rust("OrderCheckoutFunction", "order-checkout", {
      description: "POST /api/order/checkout - hand the open order to payments",
      traced: true,
      environment: { ...ordersEnv, PRODUCT_GET_FUNCTION: productGet.functionName },
    });
    // The order and its checkout message, written to the outbox in one transaction.
    allow(orderCheckout, ["dynamodb:GetItem", "dynamodb:PutItem"], [ordersTable.tableArn]);
    // The catalogue's current price of each product in an open order.
    allow(orderCheckout, ["lambda:InvokeFunction"], [productGet.functionArn]);
    // The transactional outbox's relay: messages the orders service writes to its table with the
    // change they announce (OUTBOX# items) go to their queue, then leave the table.
    const orderRelay = rust("OrderRelayFunction", "order-relay", {
      description: "Sends the orders outbox's messages (the orders table's stream) to their queues",
      traced: true,
      environment: {
        ...ordersEnv,
        CHECKOUT_QUEUE_URL: checkoutQueue.queueUrl,
        RECEIPT_ERASURE_QUEUE_URL: receiptErasureQueue.queueUrl,
        REPORTS_QUEUE_URL: reportsQueue.queueUrl,
      },
    });
    // Reads the item a record names (gone: it was sent), deletes it once sent.
    allow(orderRelay, ["dynamodb:GetItem", "dynamodb:DeleteItem"], [ordersTable.tableArn]);
    allow(
      orderRelay,
      ["sqs:SendMessage"],
      [checkoutQueue.queueArn, receiptErasureQueue.queueArn, reportsQueue.queueArn],
    );
    orderRelay.addEventSource(outboxTrigger(ordersTable));
    // The relay falling behind (its messages retried, or too few of it): checkouts wait.
    alarmWhen(
      "OrderRelayIteratorAgeAlarm",
      orderRelay.metric("IteratorAge", perMinute("Maximum")),
      "The orders outbox relay is more than five minutes behind - checkouts are waiting; read its logs",
      300_000,
      5,
    );
    const orderSettle = rust("OrderSettleFunction", "order-settle", {
      description: "Settles orders as PAID or PAYMENT_FAILED from the payment results queue",
      traced: true,
      environment: { ...ordersEnv, RECEIPTS_QUEUE_URL: receiptsQueue.queueUrl },
    });
    allow(orderSettle, ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"], [ordersTable.tableArn]);
    allow(orderSettle, ["sqs:SendMessage"], [receiptsQueue.queueArn]);
    // As in template.yaml: the relay, which sends the reports queue's outbox items this function
    // writes, is updated first and rolled back last.
    (orderSettle.node.defaultChild as lambda.CfnFunction).addDependency(
      orderRelay.node.defaultChild as lambda.CfnFunction,
    );
    orderSettle.addEventSource(
      new SqsEventSource(paymentResultsQueue, { batchSize: 10, reportBatchItemFailures: true }),
    );
    const orderErase = eraser(
      "OrderEraseFunction",
      "order-erase",
      "Deletes a deleted account's cart and anonymises its checked-out orders, from its queue",
      ordersEnv,
      orderErasureQueue,
    );
    // The account's orders, by owner.
    allow(orderErase, ["dynamodb:Query"], [`${ordersTable.tableArn}/index/ByOwner`]);
    // Each order and the cart, read consistently; open ones and the cart deleted; checked-out ones
    // written anonymous with the outbox's receipt erasure, in one transaction.
    allow(orderErase, ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"], [ordersTable.tableArn]);

    // -------------------------------------------------------------------------------------------
    // Payments service.
    // -------------------------------------------------------------------------------------------
    const paymentCard = rust("PaymentCardFunction", "payment-card", {
      description: "POST /api/payment/card - hold the caller's card for a payment, answer a token",
      environment: { CARDS_TABLE: cardsTable.tableName },
    });
    allow(paymentCard, ["dynamodb:PutItem"], [cardsTable.tableArn]);
    const paymentCharge = rust("PaymentChargeFunction", "payment-charge", {
      description: "Charges checked-out orders from the checkout queue, once each",
      traced: true,
      timeout: 30,
      environment: {
        PAYMENTS_TABLE: paymentsTable.tableName,
        CARDS_TABLE: cardsTable.tableName,
        PAYMENT_RESULTS_QUEUE_URL: paymentResultsQueue.queueUrl,
      },
    });
    allow(paymentCharge, ["dynamodb:GetItem", "dynamodb:PutItem"], [paymentsTable.tableArn]);
    allow(paymentCharge, ["dynamodb:UpdateItem", "dynamodb:DeleteItem"], [cardsTable.tableArn]);
    allow(paymentCharge, ["sqs:SendMessage"], [paymentResultsQueue.queueArn]);
    paymentCharge.addEventSource(new SqsEventSource(checkoutQueue, { batchSize: 10, reportBatchItemFailures: true }));
    const paymentErase = eraser(
      "PaymentEraseFunction",
      "payment-erase",
      "Erases the cards held for a deleted account, from its queue",
      { CARDS_TABLE: cardsTable.tableName },
      paymentErasureQueue,
    );
    // Finds the account's held cards (a small table: each lapses within the hour) and deletes them.
    // Nothing in the payments table names anyone.
    allow(paymentErase, ["dynamodb:Scan", "dynamodb:DeleteItem"], [cardsTable.tableArn]);

    // -------------------------------------------------------------------------------------------
    // Receipts service.
    // -------------------------------------------------------------------------------------------
    const receiptGet = rust("ReceiptGetFunction", "receipt-get", {
      description: "GET /api/order/{id}/receipt - the receipt PDF, for the order's owner",
      memorySize: 256,
      timeout: 15,
      environment: { RECEIPTS_BUCKET: receiptsBucket.bucketName, ORDER_GET_FUNCTION: orderGet.functionName },
    });
    allow(receiptGet, ["s3:GetObject", "s3:PutObject"], [`${receiptsBucket.bucketArn}/receipts/*`]);
    // Without it S3 answers 403, not 404, for a receipt not rendered yet.
    allow(receiptGet, ["s3:ListBucket"], [receiptsBucket.bucketArn]);
    allow(receiptGet, ["lambda:InvokeFunction"], [orderGet.functionArn]);
    const receiptEmail = rust("ReceiptEmailFunction", "receipt-email", {
      description: "E-mails each paid order's receipt once, from the receipts queue",
      traced: true,
      memorySize: 256,
      timeout: 30,
      environment: {
        RECEIPTS_TABLE: receiptsTable.tableName,
        RECEIPTS_BUCKET: receiptsBucket.bucketName,
        SENDER_EMAIL: senderEmail.valueAsString,
      },
    });
    allow(
      receiptEmail,
      ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
      [receiptsTable.tableArn],
    );
    allow(receiptEmail, ["s3:GetObject", "s3:PutObject"], [`${receiptsBucket.bucketArn}/receipts/*`]);
    allow(receiptEmail, ["s3:ListBucket"], [receiptsBucket.bucketArn]);
    receiptEmail.addToRolePolicy(
      new iam.PolicyStatement({
        // A raw MIME message: SES v2 documents ses:SendEmail, and has been seen to check
        // ses:SendRawEmail for raw content.
        actions: ["ses:SendEmail", "ses:SendRawEmail"],
        resources: [`arn:${this.partition}:ses:${this.region}:${this.account}:identity/*`],
        conditions: { StringEquals: { "ses:FromAddress": senderEmail.valueAsString } },
      }),
    );
    receiptEmail.addEventSource(new SqsEventSource(receiptsQueue, { batchSize: 5, reportBatchItemFailures: true }));
    const receiptErase = eraser(
      "ReceiptEraseFunction",
      "receipt-erase",
      "Erases a deleted account's receipt (every version of its PDF) and stops its e-mail, from its queue",
      { RECEIPTS_TABLE: receiptsTable.tableName, RECEIPTS_BUCKET: receiptsBucket.bucketName },
      receiptErasureQueue,
    );
    // Records the receipt's e-mail as not to be sent (EMAIL#), taking over a claim that lapsed, as
    // the e-mail's sender would.
    allow(receiptErase, ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"], [receiptsTable.tableArn]);
    // The versioned bucket keeps every version of a receipt: each is listed and deleted by its id
    // (a plain DeleteObject would only add a delete marker).
    allow(receiptErase, ["s3:ListBucketVersions"], [receiptsBucket.bucketArn]);
    allow(receiptErase, ["s3:DeleteObjectVersion"], [`${receiptsBucket.bucketArn}/receipts/*`]);

    // -------------------------------------------------------------------------------------------
    // Reports service: sales per day, per product and per currency, counted from the orders
    // outbox's events into a read model of its own.
    // -------------------------------------------------------------------------------------------
    const reportsEnv = { REPORTS_TABLE: reportsTable.tableName };
    const reportRecord = rust("ReportRecordFunction", "report-record", {
      description: "Counts paid orders and failed payments into the sales reports, from the reports queue",
      traced: true,
      environment: reportsEnv,
    });
    // One transaction per event: its marker (a conditional Put, so an event counts once) and the
    // counters of its day and products (Updates that add).
    allow(reportRecord, ["dynamodb:PutItem", "dynamodb:UpdateItem"], [reportsTable.tableArn]);
    reportRecord.addEventSource(new SqsEventSource(reportsQueue, { batchSize: 10, reportBatchItemFailures: true }));
    const reportSales = rust("ReportSalesFunction", "report-sales", {
      description:
        "GET /api/reports/sales - sales per day, per product and per currency, for administrators (JSON, CSV or PDF)",
      // Lambda's CPU grows with memory: the largest PDF takes about 1 s at 512 MB (template.yaml).
      memorySize: 512,
      timeout: 15,
      environment: reportsEnv,
    });
    // The counters of each month and currency in the period, one Query each.
    allow(reportSales, ["dynamodb:Query"], [reportsTable.tableArn]);

    for (const child of this.node.findAll()) {
      // The SQS triggers: a stream's (the outbox's) has a starting position and an on-failure
      // destination, and no cap of its own (one batch per shard at a time).
      if (child instanceof lambda.CfnEventSourceMapping && child.startingPosition === undefined) {
        // SQS triggers send their failures to the queue's dead-letter queue; an on-failure
        // destination does not apply to them.
        child.addMetadata("cfn-lint", {
          config: { ignore_checks: ["ES1001"] },
          reasons: { ES1001: "SQS triggers fail over to the queue's dead-letter queue" },
        });
        // At most as many batches at once as the function may run, or a burst throttles
        // healthy messages back to the queue until they land in its dead-letter queue.
        child.addPropertyOverride(
          "ScalingConfig.MaximumConcurrency",
          Fn.conditionIf(capConcurrency.logicalId, reservedConcurrency.valueAsNumber, Aws.NO_VALUE),
        );
      }
    }

    // -------------------------------------------------------------------------------------------
    // The HTTP API: every route needs the users authorizer unless it is public.
    // -------------------------------------------------------------------------------------------
    const accessLogs = named(
      new logs.LogGroup(this, "ApiAccessLogs", {
        retention: logs.RetentionDays.ONE_MONTH,
        removalPolicy: RemovalPolicy.DESTROY,
      }),
      "ApiAccessLogs",
    );
    suppress(accessLogs, [["CKV_AWS_158", CUSTOMER_KEY]]);
    const authorizer = new HttpLambdaAuthorizer("UsersAuthorizer", authorizerFn, {
      responseTypes: [HttpLambdaResponseType.SIMPLE],
      resultsCacheTtl: Duration.seconds(0),
      identitySource: [],
    });
    const api = named(new HttpApi(this, "ShopApi", { defaultAuthorizer: authorizer }), "ShopApi");
    const stage = api.defaultStage!.node.defaultChild as CfnStage;
    stage.defaultRouteSettings = {
      throttlingBurstLimit: apiBurstLimit.valueAsNumber,
      throttlingRateLimit: apiRateLimit.valueAsNumber,
    };
    stage.accessLogSettings = {
      destinationArn: accessLogs.logGroupArn,
      format: JSON.stringify({
        requestId: "$context.requestId",
        ip: "$context.identity.sourceIp",
        time: "$context.requestTime",
        method: "$context.httpMethod",
        route: "$context.routeKey",
        status: "$context.status",
        bytes: "$context.responseLength",
        latency: "$context.responseLatency",
        integrationLatency: "$context.integrationLatency",
        authorizerError: "$context.authorizer.error",
      }),
    };
    const routes: [HttpMethod, string, lambda.IFunction, boolean][] = [
      [HttpMethod.POST, "/api/user/create", userCreate, true],
      [HttpMethod.POST, "/api/user/login", userLogin, true],
      [HttpMethod.POST, "/api/user/logout", userLogout, false],
      [HttpMethod.POST, "/api/user/logout-everywhere", userLogoutEverywhere, false],
      [HttpMethod.POST, "/api/user/password", userPasswordChange, false],
      [HttpMethod.POST, "/api/user/session/refresh", userSessionRefresh, true],
      [HttpMethod.GET, "/api/user/{username}/exists", userExists, true],
      [HttpMethod.GET, "/api/user", userCurrent, false],
      [HttpMethod.GET, "/api/users", userList, false],
      [HttpMethod.POST, "/api/user/verify", userVerify, true],
      [HttpMethod.POST, "/api/user/verify/resend", userVerifyResend, false],
      [HttpMethod.POST, "/api/user/email", userEmailChange, false],
      [HttpMethod.DELETE, "/api/user", userDelete, false],
      [HttpMethod.POST, "/api/user/email/confirm", userEmailConfirm, false],
      [HttpMethod.POST, "/api/user/password-reset", userPasswordReset, true],
      [HttpMethod.POST, "/api/user/password-reset/confirm", userPasswordResetConfirm, true],
      [HttpMethod.GET, "/api/products", productList, true],
      [HttpMethod.GET, "/api/product/{id}", productGet, true],
      [HttpMethod.POST, "/api/product/create", productCreate, false],
      [HttpMethod.GET, "/api/categories", productCategories, true],
      [HttpMethod.PUT, "/api/product/{id}", productUpdate, false],
      [HttpMethod.DELETE, "/api/product/{id}", productRetire, false],
      [HttpMethod.GET, "/api/search", searchQuery, true],
      [HttpMethod.POST, "/api/order/add-item", orderAddItem, false],
      [HttpMethod.POST, "/api/order/update-item", orderUpdateItem, false],
      [HttpMethod.GET, "/api/order", orderCurrent, false],
      [HttpMethod.GET, "/api/order/{id}", orderGet, false],
      [HttpMethod.GET, "/api/orders", orderList, false],
      [HttpMethod.POST, "/api/order/checkout", orderCheckout, false],
      [HttpMethod.POST, "/api/payment/card", paymentCard, false],
      [HttpMethod.GET, "/api/order/{id}/receipt", receiptGet, false],
      [HttpMethod.GET, "/api/reports/sales", reportSales, false],
    ];
    for (const [method, routePath, fn, isPublic] of routes) {
      api.addRoutes({
        path: routePath,
        methods: [method],
        integration: new HttpLambdaIntegration(`${fn.node.id}Integration`, fn),
        authorizer: isPublic ? new HttpNoneAuthorizer() : undefined,
      });
    }

    // -------------------------------------------------------------------------------------------
    // The storefront behind CloudFront, with the API on the same origin.
    // -------------------------------------------------------------------------------------------
    const apiDomain = `${api.apiId}.execute-api.${this.region}.${this.urlSuffix}`;
    const originAccessControl = named(
      new cloudfront.S3OriginAccessControl(this, "StorefrontOriginAccessControl", {
        originAccessControlName: Fn.join("-", ["storefront", stackUuid]),
        signing: cloudfront.Signing.SIGV4_ALWAYS,
      }),
      "StorefrontOriginAccessControl",
    );
    const securityHeaders = named(
      new cloudfront.ResponseHeadersPolicy(this, "SecurityHeadersPolicy", {
        responseHeadersPolicyName: Fn.join("-", ["shop-security-headers", stackUuid]),
        comment: "The storefront's and the API's security headers",
        securityHeadersBehavior: {
          contentSecurityPolicy: { contentSecurityPolicy: CONTENT_SECURITY_POLICY, override: true },
          contentTypeOptions: { override: true },
          frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
          referrerPolicy: {
            referrerPolicy: cloudfront.HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN,
            override: true,
          },
          strictTransportSecurity: { accessControlMaxAge: Duration.days(365), includeSubdomains: true, override: true },
        },
        customHeadersBehavior: {
          customHeaders: [
            {
              header: "Permissions-Policy",
              value: "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
              override: true,
            },
            { header: "Cross-Origin-Opener-Policy", value: "same-origin", override: true },
          ],
        },
      }),
      "SecurityHeadersPolicy",
    );
    // Unlike the managed CachingOptimized (minimum 1 s), this honours `Cache-Control: no-cache`
    // on index.html: CloudFront asks S3 every time, so a new storefront shows at once.
    const storefrontCache = named(
      new cloudfront.CachePolicy(this, "StorefrontCachePolicy", {
        cachePolicyName: Fn.join("-", ["shop-storefront", stackUuid]),
        comment: "The files' own Cache-Control: index.html revalidated, hashed assets kept a year",
        minTtl: Duration.seconds(0),
        defaultTtl: Duration.days(1),
        maxTtl: Duration.days(365),
        enableAcceptEncodingGzip: true,
        enableAcceptEncodingBrotli: true,
      }),
      "StorefrontCachePolicy",
    );
    // The public catalogue: what the products service's s-maxage says (a minute), no longer;
    // nothing without Cache-Control; query strings in the key, no header or cookie.
    const catalogueCache = named(
      new cloudfront.CachePolicy(this, "CatalogueCachePolicy", {
        cachePolicyName: Fn.join("-", ["shop-catalogue", stackUuid]),
        comment: "The public catalogue: what the products service's s-maxage says, at most a minute",
        minTtl: Duration.seconds(0),
        defaultTtl: Duration.seconds(0),
        maxTtl: Duration.seconds(60),
        enableAcceptEncodingGzip: true,
        enableAcceptEncodingBrotli: true,
        queryStringBehavior: cloudfront.CacheQueryStringBehavior.all(),
      }),
      "CatalogueCachePolicy",
    );
    // Behind CloudFront, API Gateway's sourceIp is CloudFront's edge server: this passes the
    // viewer's own address on, for the log-in limits to count clients by.
    const viewerAddress = named(
      new cloudfront.Function(this, "ViewerAddressFunction", {
        functionName: Fn.join("-", ["shop-viewer-address", stackUuid]),
        comment: "Passes the viewer's address to the API as x-shop-viewer-address",
        runtime: cloudfront.FunctionRuntime.JS_2_0,
        autoPublish: true,
        code: cloudfront.FunctionCode.fromInline(
          [
            "function handler(event) {",
            "  var request = event.request;",
            '  request.headers["x-shop-viewer-address"] = { value: event.viewer.ip };',
            "  return request;",
            "}",
            "",
          ].join("\n"),
        ),
      }),
      "ViewerAddressFunction",
    );
    const apiOrigin = new origins.HttpOrigin(apiDomain, {
      protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
      customHeaders: { "x-shop-edge-key": Fn.sub("{{resolve:secretsmanager:${EdgeKeySecret}:SecretString}}") },
    });
    // The catalogue's paths first (CloudFront takes the first pattern a path matches), for every
    // method: CloudFront keeps GET and HEAD only, and forwards an admin's Authorization.
    const catalogue: cloudfront.BehaviorOptions = {
      origin: apiOrigin,
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
      allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
      cachePolicy: catalogueCache,
      originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
      responseHeadersPolicy: securityHeaders,
      compress: true,
    };
    const distribution = named(
      new cloudfront.Distribution(this, "StorefrontDistribution", {
        comment: "Serverless Shop - storefront and API on one origin",
        defaultRootObject: "index.html",
        // An origin's 5xx kept two seconds, not ten, for every viewer.
        errorResponses: [500, 502, 503, 504].map((httpStatus) => ({ httpStatus, ttl: Duration.seconds(2) })),
        httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
        priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
        defaultBehavior: {
          origin: origins.S3BucketOrigin.withOriginAccessControl(storefrontBucket, { originAccessControl }),
          viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
          cachePolicy: storefrontCache,
          responseHeadersPolicy: securityHeaders,
          compress: true,
        },
        additionalBehaviors: {
          "/api/product*": catalogue,
          "/api/categories*": catalogue,
          "/api/*": {
            origin: apiOrigin,
            viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
            allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
            cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
            originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
            responseHeadersPolicy: securityHeaders,
            compress: true,
            functionAssociations: [{ function: viewerAddress, eventType: cloudfront.FunctionEventType.VIEWER_REQUEST }],
          },
        },
      }),
      "StorefrontDistribution",
    );
    suppress(distribution, [
      ["CKV_AWS_86", "The API behind it keeps access logs; CloudFront's would cost extra for static files."],
      [
        "CKV_AWS_68",
        "A WAF costs $5 a month and up; the API's throttling and each function's concurrency cap bound what a flood can cost.",
      ],
      [
        "CKV_AWS_174",
        "Uses the default *.cloudfront.net certificate, which cannot pin TLS 1.2; set TLSv1.2_2021 when adding a custom domain.",
      ],
    ]);
    // The e-mails' links point at the storefront (never at a Host header a request could choose).
    // Their senders are not behind the API, so the distribution does not need them.
    for (const sender of [userVerificationEmail, userPasswordResetEmail, userNoticeEmail]) {
      sender.addEnvironment("STOREFRONT_DOMAIN", distribution.distributionDomainName);
    }

    // A product's change has CloudFront forget the catalogue it keeps.
    const productInvalidate = rust("ProductInvalidateFunction", "product-invalidate", {
      description: "Has CloudFront forget the catalogue it keeps when a product changes",
      environment: { DISTRIBUTION_ID: distribution.distributionId },
    });
    allow(productInvalidate, ["cloudfront:CreateInvalidation"], [distribution.distributionArn]);
    const invalidationFailuresQueue = named(
      new sqs.Queue(this, "CatalogueInvalidationFailuresQueue", {
        retentionPeriod: Duration.days(14),
        encryption: sqs.QueueEncryption.SQS_MANAGED,
      }),
      "CatalogueInvalidationFailuresQueue",
    );
    suppress(
      invalidationFailuresQueue,
      [["CKV_AWS_27", SQS_MANAGED]],
      [["ES6000", "it is itself where failures go; its alarm tells a person"]],
    );
    productInvalidate.addEventSource(
      new DynamoEventSource(productsTable, {
        // Copies made before a change the function never saw have expired already.
        startingPosition: lambda.StartingPosition.LATEST,
        // A burst of changes is one invalidation: CloudFront has at most 15 wildcard paths in progress.
        batchSize: 10000,
        maxBatchingWindow: Duration.seconds(10),
        reportBatchItemFailures: true,
        // Retried until every copy from before the change has expired (the local cloud's stream
        // times records to the minute, hence two).
        maxRecordAge: Duration.minutes(2),
        onFailure: new SqsDlq(invalidationFailuresQueue),
        filters: [
          lambda.FilterCriteria.filter({ dynamodb: { Keys: { pk: { S: lambda.FilterRule.beginsWith("PRODUCT#") } } } }),
        ],
      }),
    );
    alarmWhen(
      "CatalogueInvalidationFailuresAlarm",
      invalidationFailuresQueue.metricNumberOfMessagesSent(perMinute("Sum")),
      "CloudFront was not told of product changes (they showed a minute late) - read the product-invalidate logs",
    );

    observe(this, {
      alarmTopic,
      functionLogs,
      authorizer: authorizerFn,
      orderQueues: {
        // Each with the seconds its deliveries take: receives times visibility.
        checkout: [checkoutQueue, 5 * 180],
        results: [paymentResultsQueue, 5 * 60],
        receipts: [receiptsQueue, 5 * 180],
        reports: [reportsQueue, 20 * 60],
      },
    });

    new CfnOutput(this, "SiteUrl", {
      value: `https://${distribution.distributionDomainName}`,
      description: "The shop (storefront and API)",
    });
    new CfnOutput(this, "StorefrontBucketName", {
      value: storefrontBucket.bucketName,
      description: "Upload the storefront here (see the README's deploy steps)",
    });
    new CfnOutput(this, "StorefrontDistributionId", {
      value: distribution.distributionId,
      description: "Invalidate /, /index.html and /docs here after an upload",
    });
    new CfnOutput(this, "ApiUrl", { value: api.apiEndpoint, description: "The shop's HTTP API" });
    new CfnOutput(this, "UsersTableName", { value: usersTable.tableName });
    new CfnOutput(this, "ProductsTableName", { value: productsTable.tableName });
    new CfnOutput(this, "SearchBucketName", { value: searchBucket.bucketName });
    new CfnOutput(this, "OrdersTableName", { value: ordersTable.tableName });
    new CfnOutput(this, "CheckoutQueueUrl", { value: checkoutQueue.queueUrl });
    new CfnOutput(this, "PaymentsTableName", { value: paymentsTable.tableName });
    new CfnOutput(this, "ReceiptsBucketName", { value: receiptsBucket.bucketName });
    new CfnOutput(this, "ReportsTableName", { value: reportsTable.tableName });
  }
}
