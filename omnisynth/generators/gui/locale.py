"""Screens in Chinese and Japanese: the screens' interface words in those languages.

`localise(html, language)` rewrites a finished screen: every text node, `aria-label`, `title` and
`placeholder` whose whole text is one of the interface strings in `TEXT` (menus, navigation,
buttons, field labels, switches, tabs, icon names, dialogs) becomes the language's word, as
Chinese (zh-CN) and Japanese software words it; strings the table lacks (names, numbers, code)
stay as written. The running text of the screens comes from the bundled handbook in that
language (`Ui` reads it). Fonts: WenQuanYi Micro Hei (Chinese) and IPAGothic (Japanese), Debian
`fonts-wqy-microhei` and `fonts-ipafont-gothic`, installed by scripts/setup.sh.
"""

from __future__ import annotations

import html
import re

# English -> (Chinese, Japanese)
_PAIRS = {
    # menus and common commands
    "File": ("文件", "ファイル"), "Edit": ("编辑", "編集"), "View": ("视图", "表示"), "Insert": ("插入", "挿入"),
    "Format": ("格式", "書式"), "Object": ("对象", "オブジェクト"), "Select": ("选择", "選択"), "Filter": ("筛选", "フィルター"),
    "Window": ("窗口", "ウィンドウ"), "Tools": ("工具", "ツール"), "Help": ("帮助", "ヘルプ"), "Home": ("主页", "ホーム"),
    "Save": ("保存", "保存"), "Open": ("打开", "開く"), "New": ("新建", "新規"), "Delete": ("删除", "削除"),
    "Undo": ("撤销", "元に戻す"), "Redo": ("重做", "やり直し"), "Cut": ("剪切", "切り取り"), "Copy": ("复制", "コピー"),
    "Paste": ("粘贴", "貼り付け"), "Bold": ("加粗", "太字"), "Italic": ("斜体", "斜体"), "Underline": ("下划线", "下線"),
    "Search": ("搜索", "検索"), "Settings": ("设置", "設定"), "Zoom in": ("放大", "拡大"), "Zoom out": ("缩小", "縮小"),
    "Play": ("播放", "再生"), "Pause": ("暂停", "一時停止"), "Stop": ("停止", "停止"), "Record": ("录制", "録画"),
    "Refresh": ("刷新", "更新"), "Profile": ("个人资料", "プロフィール"), "Lock": ("锁定", "ロック"),
    "Favourite": ("收藏", "お気に入り"), "Notifications": ("通知", "通知"), "Messages": ("消息", "メッセージ"),
    "Share": ("共享", "共有"), "Download": ("下载", "ダウンロード"), "Upload": ("上传", "アップロード"),
    "Print": ("打印", "印刷"), "Grid view": ("网格视图", "グリッド表示"), "List view": ("列表视图", "リスト表示"),
    "Align left": ("左对齐", "左揃え"), "Align center": ("居中", "中央揃え"), "Align right": ("右对齐", "右揃え"),
    "Rotate": ("旋转", "回転"), "Crop": ("裁剪", "トリミング"), "Brush": ("画笔", "ブラシ"), "Pen": ("钢笔", "ペン"),
    "Eraser": ("橡皮擦", "消しゴム"), "Layers": ("图层", "レイヤー"), "Move": ("移动", "移動"), "Line": ("直线", "直線"),
    "Rectangle": ("矩形", "長方形"), "Ellipse": ("椭圆", "楕円"), "Text tool": ("文字工具", "テキストツール"),
    "Fill": ("填充", "塗りつぶし"), "Eyedropper": ("吸管", "スポイト"), "Ruler": ("标尺", "定規"), "Snap": ("吸附", "スナップ"),
    "Visibility": ("可见性", "表示/非表示"), "Sort": ("排序", "並べ替え"), "Chart": ("图表", "グラフ"),
    "Terminal": ("终端", "ターミナル"), "Debug": ("调试", "デバッグ"), "Branches": ("分支", "ブランチ"), "Run": ("运行", "実行"),
    "More options": ("更多选项", "その他のオプション"), "Close": ("关闭", "閉じる"), "Add": ("添加", "追加"),
    "Remove": ("移除", "削除する"), "Confirm": ("确认", "確認"), "Information": ("信息", "情報"), "Attach": ("附件", "添付"),
    "Send": ("发送", "送信"), "Archive": ("归档", "アーカイブ"), "Reply": ("回复", "返信"), "New folder": ("新建文件夹", "新しいフォルダー"),
    "Back": ("返回", "戻る"), "Forward": ("转发", "転送"), "Main menu": ("主菜单", "メインメニュー"),
    "Cancel": ("取消", "キャンセル"), "Save changes": ("保存更改", "変更を保存"), "Submit": ("提交", "送信する"),
    "Compose": ("写邮件", "作成"), "Export": ("导出", "エクスポート"), "New order": ("新建订单", "新規注文"), "OK": ("确定", "OK"),
    "Rename": ("重命名", "名前の変更"), "Duplicate": ("创建副本", "複製"), "Compress": ("压缩", "圧縮"), "Get info": ("显示简介", "情報を見る"),
    "Copy link": ("复制链接", "リンクをコピー"), "Move to Trash": ("移到废纸篓", "ゴミ箱に移動"),
    "Add to favourites": ("添加到收藏", "お気に入りに追加"), "Create account": ("创建账户", "アカウント作成"),
    "Check for updates": ("检查更新", "アップデートを確認"), "Checkout": ("结账", "購入手続き"),
    "Book an appointment": ("预约", "予約する"),
    # navigation and dashboards
    "Overview": ("概览", "概要"), "Analytics": ("分析", "分析"), "Customers": ("客户", "顧客"), "Orders": ("订单", "注文"),
    "Products": ("产品", "商品"), "Invoices": ("发票", "請求書"), "Reports": ("报表", "レポート"), "Calendar": ("日历", "カレンダー"),
    "Team": ("团队", "チーム"), "Integrations": ("集成", "連携"), "Billing": ("账单", "請求"), "Projects": ("项目", "プロジェクト"),
    "Inventory": ("库存", "在庫"), "Support": ("支持", "サポート"), "Revenue": ("收入", "売上"), "Active users": ("活跃用户", "アクティブユーザー"),
    "New orders": ("新订单", "新規注文数"), "Refunds": ("退款", "返金"), "Conversion rate": ("转化率", "コンバージョン率"),
    "Open tickets": ("未结工单", "未解決チケット"), "Churn": ("流失率", "解約率"), "Avg. order value": ("平均订单金额", "平均注文額"),
    "Sessions": ("会话", "セッション"), "Signups": ("注册数", "登録数"), "Summary": ("摘要", "サマリー"),
    # settings
    "General": ("常规", "一般"), "Account": ("账户", "アカウント"), "Appearance": ("外观", "外観"), "Privacy": ("隐私", "プライバシー"),
    "Advanced": ("高级", "詳細設定"), "Network": ("网络", "ネットワーク"), "Auto-save": ("自动保存", "自動保存"),
    "Dark mode": ("深色模式", "ダークモード"), "Email notifications": ("邮件通知", "メール通知"),
    "Two-factor authentication": ("双重验证", "二要素認証"), "Sync over Wi-Fi only": ("仅通过 Wi-Fi 同步", "Wi-Fi 接続時のみ同期"),
    "Show line numbers": ("显示行号", "行番号を表示"), "Spell check": ("拼写检查", "スペルチェック"),
    "Desktop alerts": ("桌面提醒", "デスクトップ通知"), "Location access": ("位置访问", "位置情報へのアクセス"),
    "Beta features": ("测试功能", "ベータ機能"), "Compact layout": ("紧凑布局", "コンパクト表示"), "Sound effects": ("音效", "効果音"),
    "Start minimised": ("启动时最小化", "最小化して起動"), "Remember window size": ("记住窗口大小", "ウィンドウサイズを記憶"),
    "Confirm before closing": ("关闭前确认", "閉じる前に確認"), "Open links in new tab": ("在新标签页中打开链接", "リンクを新しいタブで開く"),
    "Send usage statistics": ("发送使用统计", "使用状況を送信"), "Never": ("从不", "しない"), "Daily": ("每天", "毎日"),
    "Weekly": ("每周", "毎週"), "Monthly": ("每月", "毎月"), "Compact": ("紧凑", "コンパクト"), "Comfortable": ("舒适", "標準"),
    "Cozy": ("宽松", "ゆったり"), "Language": ("语言", "言語"), "Time zone": ("时区", "タイムゾーン"),
    # forms and mail
    "First name": ("名", "名"), "Last name": ("姓", "姓"), "Email": ("电子邮件", "メール"), "Phone": ("电话", "電話番号"),
    "Company": ("公司", "会社"), "City": ("城市", "市区町村"), "Postal code": ("邮政编码", "郵便番号"),
    "Street address": ("街道地址", "住所"), "Shipping details": ("配送信息", "配送先"), "Job application": ("职位申请", "求人応募"),
    "Display name": ("显示名称", "表示名"), "Email address": ("电子邮件地址", "メールアドレス"), "Message": ("留言", "メッセージ本文"),
    "Inbox": ("收件箱", "受信トレイ"), "Sent": ("已发送", "送信済み"), "Drafts": ("草稿", "下書き"), "Spam": ("垃圾邮件", "迷惑メール"),
    "Starred": ("已加星标", "スター付き"), "Trash": ("废纸篓", "ゴミ箱"), "Search mail": ("搜索邮件", "メールを検索"),
    "Documents": ("文稿", "書類"), "Downloads": ("下载", "ダウンロード済み"), "Desktop": ("桌面", "デスクトップ"),
    "Pictures": ("图片", "ピクチャ"), "Music": ("音乐", "ミュージック"), "Files": ("文件", "ファイル一覧"), "Explorer": ("资源管理器", "エクスプローラー"),
    "Account settings": ("账户设置", "アカウント設定"), "Digest frequency": ("摘要频率", "ダイジェストの頻度"),
    "Density": ("密度", "表示密度"), "Search…": ("搜索…", "検索…"), "Audience": ("受众", "オーディエンス"),
    "Exports": ("导出记录", "エクスポート履歴"), "Alerts": ("警报", "アラート"), "Recent orders": ("最近订单", "最近の注文"),
    "Order": ("订单号", "注文番号"), "Customer": ("客户名称", "顧客名"), "Date": ("日期", "日付"), "Total": ("合计", "合計"),
    "Country": ("国家/地区", "国"), "Plan": ("套餐", "プラン"), "Notes": ("备注", "備考"),
    "I agree to the terms": ("我同意条款", "利用規約に同意します"), "Subscribe to the newsletter": ("订阅新闻通讯", "ニュースレターを購読"),
    "Sheet1": ("工作表1", "シート1"), "Sheet2": ("工作表2", "シート2"), "Sheet3": ("工作表3", "シート3"), "Name": ("名称", "名前"),
    "Size": ("大小", "サイズ"), "Modified": ("修改日期", "更新日時"), "Kind": ("种类", "種類"), "From": ("发件人", "差出人"),
    "Subject": ("主题", "件名"), "Received": ("接收时间", "受信日時"), "To": ("收件人", "宛先"), "Status": ("状态", "ステータス"),
    "Type a message": ("输入消息", "メッセージを入力"), "Online": ("在线", "オンライン"), "Members": ("成员", "メンバー"), "Notifications settings": ("通知设置", "通知設定"),
    # professional applications (omnisynth.generators.gui.archetypes)
    "Minimize window": ("最小化", "最小化"), "Maximize window": ("最大化", "最大化"), "Close window": ("关闭窗口", "ウィンドウを閉じる"),
    "Zoom window": ("缩放窗口", "ウィンドウをズーム"), "Selection": ("选择区域", "選択範囲"), "Go": ("转到", "移動"),
    "Formulas": ("公式", "数式"), "Data": ("数据", "データ"), "Review": ("审阅", "校閲"), "References": ("引用", "参考資料"),
    "Design": ("设计", "デザイン"), "Transitions": ("切换", "画面切り替え"), "Slide Show": ("幻灯片放映", "スライドショー"),
    "Image": ("图像", "イメージ"), "Layer": ("图层", "レイヤー"), "Path": ("路径", "パス"), "Text": ("文本", "テキスト"),
    "Filters": ("滤镜", "フィルタ"), "Project": ("项目", "プロジェクト"), "Clip": ("剪辑", "クリップ"), "Timeline": ("时间线", "タイムライン"),
    "Monitor": ("监视器", "モニター"), "Render": ("渲染", "レンダー"), "Draw": ("绘图", "作成"), "Dimension": ("标注", "寸法"),
    "Modify": ("修改", "修正"), "Annotate": ("注释", "注釈"), "Sketch": ("草图", "スケッチ"), "Part": ("零件", "部品"),
    "Assembly": ("装配", "アセンブリ"), "Place": ("放置", "配置"), "Route": ("布线", "配線"), "Inspect": ("检查", "検査"),
    "Plots": ("绘图", "プロット"), "Apps": ("应用", "アプリ"), "Editor": ("编辑器", "エディター"), "Plot": ("绘图", "作図"),
    "Analysis": ("分析工具", "解析"), "Statistics": ("统计", "統計"), "Transform": ("转换", "変換"), "Analyze": ("分析", "分析する"),
    "Graphs": ("图形", "グラフ作成"), "Kernel": ("内核", "カーネル"), "Tabs": ("标签页", "タブ"), "Folder": ("文件夹", "フォルダー"),
    "Bookmarks": ("书签", "ブックマーク"), "Process": ("进程", "プロセス"), "System": ("系统", "システム"),
    "Repository": ("仓库", "リポジトリ"), "Branch": ("分支", "ブランチ"), "Commit": ("提交记录", "コミット"), "Query": ("查询", "クエリ"),
    "Database": ("数据库", "データベース"), "Breakpoints": ("断点", "ブレークポイント"), "Properties": ("属性", "プロパティ"),
    "Outline": ("大纲", "アウトライン"), "Variables": ("变量", "変数"), "Console": ("控制台", "コンソール"), "Problems": ("问题", "問題"),
    "Output": ("输出", "出力"), "Ports": ("端口", "ポート"), "Messages ": ("消息 ", "メッセージ "), "Command history": ("命令历史", "コマンド履歴"),
    "Places": ("位置", "場所"), "Resources": ("资源", "リソース"), "Details": ("详细信息", "詳細"), "Slides": ("幻灯片", "スライド"),
    "Styles": ("样式", "スタイル"), "Folders": ("文件夹", "フォルダー一覧"), "Workspace": ("工作区", "ワークスペース"),
    # the episode editor (omnisynth.generators.gui.app)
    "Page setup": ("页面设置", "ページ設定"), "Paragraph": ("段落", "段落"), "Preferences": ("首选项", "環境設定"),
    "Document properties": ("文档属性", "文書のプロパティ"), "Find and replace": ("查找和替换", "検索と置換"),
    "Margins": ("页边距", "余白"), "Paper": ("纸张", "用紙"), "Layout": ("版式", "レイアウト"), "Top margin": ("上边距", "上余白"),
    "Bottom margin": ("下边距", "下余白"), "Left margin": ("左边距", "左余白"), "Right margin": ("右边距", "右余白"),
    "Paper size": ("纸张大小", "用紙サイズ"), "Orientation": ("方向", "印刷の向き"), "Print on both sides": ("双面打印", "両面印刷"),
    "Document settings": ("文档设置", "文書の設定"), "Word count": ("字数统计", "文字カウント"), "Spelling...": ("拼写...", "スペル..."),
}
TEXT = {"zh": {k: v[0] for k, v in _PAIRS.items()}, "ja": {k: v[1] for k, v in _PAIRS.items()}}
FONT_STACK = {"zh": "'WenQuanYi Micro Hei', 'IPAGothic'", "ja": "'IPAGothic', 'WenQuanYi Micro Hei'"}
_NODE = re.compile(r">([^<>]+)<")
_ATTR = re.compile(r'\b(aria-label|title|placeholder)="([^"]*)"')


def localise(doc: str, language: str) -> str:
    """`doc` with its interface strings in `language` (zh | ja); unchanged for other languages."""
    table = TEXT.get(language)
    if not table:
        return doc

    def node(m: re.Match) -> str:
        raw = m.group(1)
        text = html.unescape(raw).strip()
        if text not in table:
            return m.group(0)
        lead, trail = raw[: len(raw) - len(raw.lstrip())], raw[len(raw.rstrip()):]
        return f">{lead}{html.escape(table[text])}{trail}<"

    def attr(m: re.Match) -> str:
        text = html.unescape(m.group(2))
        return f'{m.group(1)}="{html.escape(table[text])}"' if text in table else m.group(0)

    head, sep, body = doc.partition("<body>")  # the <style> and <title> stay as written
    return head + sep + _ATTR.sub(attr, _NODE.sub(node, body))
